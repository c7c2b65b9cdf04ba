import Configuration
import Foundation
import ModuleGraph
import ShellBridge
import StagedTree
import Support

/// Runs module functions in the build's bash for the module selector and the install loop.
final class ShellModuleRunner: ModuleFunctionRunner {
    let shell: BashSession
    let helpers: DracutHelpers
    /// Set for --explain: each helper call and each function's own shell code is credited with
    /// what it added to the tree.
    var recorder: ProvenanceRecorder?

    init(shell: BashSession, helpers: DracutHelpers) {
        self.shell = shell
        self.helpers = helpers
    }

    func check(_ module: Module, kind: CheckKind) throws -> Int32 {
        let mode: ModuleCallMode
        switch kind {
        case .generic: mode = .genericCheck
        case .host: mode = .hostCheck
        case .mount: mode = .mountCheck
        }
        return try call(module, "check", mode).status
    }

    func depends(_ module: Module) throws -> [String] {
        try call(module, "depends", .capture).output.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init)
    }

    /// The names already sent to the shell's private copy of the schedule.
    private var scheduledNames: [String] = []

    func scheduled(_ modules: [String]) throws {
        // dracut's spelling: each name padded with a space on both sides. The list only grows
        // during selection: the shell keeps its own copy and gets the new names alone, so the
        // bytes sent stay proportional to the modules, not to their square (bash reads them one
        // at a time). mods_to_load is set from the copy each time, as before, whatever module
        // code did to it.
        let code: String
        if modules.count >= scheduledNames.count, Array(modules.prefix(scheduledNames.count)) == scheduledNames {
            let added = modules.dropFirst(scheduledNames.count).map { " \($0) " }.joined()
            code = added.isEmpty ? "" : "__kindling_scheduled+=" + shellQuote(added) + "; "
        } else {
            code = "__kindling_scheduled=" + shellQuote(modules.map { " \($0) " }.joined()) + "; "
        }
        scheduledNames = modules
        shell.evaluateBeforeNextCommand(code + "mods_to_load=$__kindling_scheduled")
    }

    func call(_ module: Module, _ function: String, _ mode: ModuleCallMode, failureIsFatal: Bool = false) throws -> ModuleCallResult {
        let ownCode = Provenance(module: module.name, step: "\(function)() shell code")
        let handler: HelperHandler = recorder.map { RecordingHandler(helpers, module: module.name, ownCode: ownCode, recorder: $0) } ?? helpers
        let result = try shell.call(
            module: module.name, directory: module.directory, function: function, mode: mode,
            handler: handler, failureIsFatal: failureIsFatal)
        recorder?.attributeNewPaths(to: ownCode)
        if let helper = helpers.unsupportedCall {
            throw BuildFailure("module '\(module.name)' called \(helper), which Kindling does not implement yet")
        }
        return result
    }
}

/// Passes helper calls on, then credits the calling module's step with the paths each one added.
final class RecordingHandler: HelperHandler {
    let inner: HelperHandler
    let module: String
    /// The function's own shell code, credited with what appeared between helper calls.
    let ownCode: Provenance
    let recorder: ProvenanceRecorder

    init(_ inner: HelperHandler, module: String, ownCode: Provenance, recorder: ProvenanceRecorder) {
        self.inner = inner
        self.module = module
        self.ownCode = ownCode
        self.recorder = recorder
    }

    func handle(_ request: HelperRequest) -> HelperReply {
        recorder.attributeNewPaths(to: ownCode)
        let reply = inner.handle(request)
        let words = ([request.helper] + request.arguments).joined(separator: " ")
        let step = words.count > 160 ? String(words.prefix(157)) + "..." : words
        recorder.attributeNewPaths(to: Provenance(module: module, step: step.replacingOccurrences(of: "\n", with: " ")))
        return reply
    }
}

/// A failure of the build as a whole, described in one line.
struct BuildFailure: Error, CustomStringConvertible {
    let description: String
    let exitStatus: Int32

    init(_ description: String, exitStatus: Int32 = 1) {
        self.description = description
        self.exitStatus = exitStatus
    }
}
