import ModuleGraph
import ShellBridge

/// Runs module functions in the build's bash for the module selector and the install loop.
final class ShellModuleRunner: ModuleFunctionRunner {
    let shell: BashSession
    let helpers: DracutHelpers

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

    func call(_ module: Module, _ function: String, _ mode: ModuleCallMode, failureIsFatal: Bool = false) throws -> ModuleCallResult {
        let result = try shell.call(module: module.name, directory: module.directory, function: function, mode: mode,
                                    handler: helpers, failureIsFatal: failureIsFatal)
        if let helper = helpers.unsupportedCall {
            throw BuildFailure("module '\(module.name)' called \(helper), which Kindling does not implement yet")
        }
        return result
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
