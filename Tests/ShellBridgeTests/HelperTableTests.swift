import Foundation
import Installer
import Support
import XCTest

@testable import ShellBridge

/// The shim's files: the bridge and the siblings it sources.
let shimFiles: [String] = {
    let directory = repositoryRoot + "/shim"
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return names.filter { $0.hasSuffix(".bash") }.sorted().map { directory + "/" + $0 }
}()

/// DracutHelper is the one list of helper names: the shim's functions, the engine's answers and
/// kindling.modules(7) must all agree with it.
final class HelperTableTests: ModuleShellTestCase {
    /// The public functions module code sees: everything the shim defines but its own `__` names.
    private func shellFunctions(_ declareOutput: String) -> Set<String> {
        Set(
            declareOutput.split(separator: "\n").compactMap { line -> String? in
                guard let name = line.split(separator: " ").last, !name.hasPrefix("__") else { return nil }
                return String(name)
            })
    }

    func testTheNamesAreUniqueAndTheGroupsDisjoint() {
        XCTAssertEqual(Set(DracutHelper.all).count, DracutHelper.all.count, "a helper is listed twice")
        XCTAssertGreaterThan(DracutHelper.all.count, 90)
    }

    /// In a module shell, every helper of the table is a function, and so is every program the
    /// engine stands in for; no other public one is.
    func testTheModuleShellDefinesExactlyTheTablesHelpers() throws {
        let module = try makeModule("10list", "depends() { builtin declare -F; }")
        let shell = try session()
        let result = try shell.call(module: "list", directory: module, function: "depends", mode: .capture, handler: RecordingHandler())
        XCTAssertEqual(result.status, 0)
        var defined = shellFunctions(result.output).subtracting(["depends"])
        XCTAssertEqual(Set(ProgramStandIns.programs).subtracting(defined), [], "a stand-in has no function")
        defined.subtract(ProgramStandIns.programs)
        XCTAssertEqual(defined.subtracting(DracutHelper.all), [], "the shim defines helpers the table lacks")
        XCTAssertEqual(Set(DracutHelper.all).subtracting(defined), [], "the table lists helpers the shim does not define")
    }

    /// Each helper the engine named at startup goes to it under its own name, arguments intact.
    func testEveryForwardedHelperReachesTheEngineUnderItsName() throws {
        let calls = DracutHelper.forwarded.map { "\($0) 'an argument'" }.joined(separator: "\n")
        let module = try makeModule("10calls", "install() {\n\(calls)\n}")
        let handler = RecordingHandler()
        let shell = try session()
        _ = try shell.call(module: "calls", directory: module, function: "install", mode: .run, handler: handler)
        XCTAssertEqual(handler.requests.map(\.helper), DracutHelper.forwarded)
        for request in handler.requests {
            XCTAssertEqual(request.arguments.last, "an argument", request.helper)
        }
    }

    /// The helpers Kindling does not implement fail, and the build fails naming the first one.
    func testHelpersTheEngineDoesNotImplementFailNamingThemselves() throws {
        let base = NSTemporaryDirectory() + "kindling-table-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base + "/image", withIntermediateDirectories: true)
        let helpers = DracutHelpers(
            installer: FileInstaller(
                sysroot: base, imageRoot: base + "/image", searchPath: [], resolver: LibraryResolver(sysroot: base),
                resolvesEagerly: true, logger: Logger(level: .fatal)),
            context: HelperContext(
                sysroot: base, hookDirectories: "", binaryPath: [], libraryDirectories: [],
                udevDirectory: "/usr/lib/udev", dracutBaseDirectory: "/usr/lib/dracut"),
            logger: Logger(level: .fatal))
        XCTAssertNil(helpers.unsupportedCall)
        for helper in DracutHelper.NotImplemented.allCases {
            XCTAssertEqual(helpers.handle(HelperRequest(helper: helper.rawValue, arguments: [])).status, 1, helper.rawValue)
        }
        XCTAssertEqual(helpers.unsupportedCall, DracutHelper.NotImplemented.allCases.first?.rawValue)
    }

    /// kindling-functions.bash is usable on its own, as dracut-functions.sh is: under `set -u`, with
    /// no engine, it brings its siblings and defines the shell helpers (and the two fronts of the
    /// engine's kernel module helpers); the log goes to standard error, and nothing else does
    /// (is_qemu_virtualized runs its program itself there).
    func testTheHelpersFileCanBeSourcedOnItsOwn() throws {
        let script = """
            set -u
            . "$1" || exit 90
            vercmp 1.10 gt 1.9 || exit 91
            [[ $(expand_persistent_dev UUID=AB) == /dev/disk/by-uuid/ab ]] || exit 92
            is_qemu_virtualized || :
            dinfo "to standard error"
            builtin declare -F
            """
        let result = try runCommand(
            "/bin/bash", ["--noprofile", "--norc", "-c", script, "standalone", repositoryRoot + "/shim/kindling-functions.bash"],
            environment: ["PATH": "/usr/bin:/bin"])
        XCTAssertEqual(result.status, 0, result.errorText)
        XCTAssertEqual(result.errorText, "to standard error\n")
        let fronts: Set = [DracutHelper.KernelModule.instmods.rawValue, DracutHelper.KernelModule.require_kernel_modules.rawValue]
        let wanted = Set(DracutHelper.Shell.allCases.map(\.rawValue)).union(fronts)
        XCTAssertEqual(
            shellFunctions(result.outputText).symmetricDifference(wanted), [],
            "kindling-functions.bash and DracutHelper.Shell differ in these")
    }

    func testEveryShimFileIsCleanUnderShellcheck() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/shellcheck") else {
            throw XCTSkip("shellcheck is not installed")
        }
        XCTAssertGreaterThan(shimFiles.count, 1)
        let result = try runCommand("/usr/bin/shellcheck", ["-x"] + shimFiles)
        XCTAssertEqual(result.status, 0, result.outputText + result.errorText)
    }

    /// kindling.modules(7) sorts the helpers as the table does: those Kindling answers, those in
    /// the shell, and those that stop the build naming themselves.
    func testManualPageListsTheHelpersAsTheTableSortsThem() throws {
        let page = try String(contentsOfFile: repositoryRoot + "/Documentation/man/kindling.modules.7", encoding: .utf8)
        let answeredSection = "HELPERS KINDLING ANSWERS", shellSection = "HELPERS IN THE SHELL"
        let answered = Set(HelperSection.tagNames(page, heading: answeredSection))
        let mentioned = answered.union(HelperSection.boldNames(page, heading: answeredSection))
        XCTAssertEqual(answered.subtracting(DracutHelper.answered), [], "\(answeredSection) documents helpers the engine does not answer")
        XCTAssertEqual(Set(DracutHelper.answered).subtracting(mentioned), [], "\(answeredSection) leaves out helpers the engine answers")

        let shell = Set(HelperSection.tagNames(page, heading: shellSection))
        XCTAssertEqual(
            shell.symmetricDifference(DracutHelper.Shell.allCases.map(\.rawValue)), [],
            "\(shellSection) and DracutHelper.Shell differ in these")

        let prose: Set = ["kdumpbase", "findmnt", "blkid"]
        let stopping = Set(HelperSection.boldNames(page, heading: "HELPERS NOT IMPLEMENTED YET")).subtracting(prose)
        XCTAssertEqual(
            stopping.symmetricDifference(DracutHelper.NotImplemented.allCases.map(\.rawValue)), [],
            "HELPERS NOT IMPLEMENTED YET and DracutHelper.NotImplemented differ in these")
    }

    /// kindling.modules(7) names every program the engine stands in for.
    func testManualPageNamesTheProgramsTheEngineStandsInFor() throws {
        let page = try String(contentsOfFile: repositoryRoot + "/Documentation/man/kindling.modules.7", encoding: .utf8)
        let bold = HelperSection.lines(page, heading: "PROGRAMS KINDLING RUNS ITSELF").filter { $0.hasPrefix(".B") }
        let left = ProgramStandIns.programs.filter { program in
            !bold.contains { $0.split(separator: " ").dropFirst().first == Substring(program.replacingOccurrences(of: "-", with: "\\-")) }
        }
        XCTAssertEqual(left, [], "PROGRAMS KINDLING RUNS ITSELF leaves these out")
    }
}

/// Helper names in a section (`.SH`) or subsection (`.SS`) of kindling.modules.7.
enum HelperSection {
    static func lines(_ page: String, heading: String) -> [String] {
        var inside = false
        var result: [String] = []
        for line in page.components(separatedBy: "\n") {
            if line.hasPrefix(".SH") || line.hasPrefix(".SS") { inside = line.contains(heading) }
            if inside { result.append(line) }
        }
        return result
    }

    static func isHelperName(_ word: Substring) -> Bool {
        guard let first = word.first, first.isLowercase else { return false }
        return word.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }
    }

    /// The lowercase words of each tag line (the line after `.TP` or `.TQ`).
    static func tagNames(_ page: String, heading: String) -> [String] {
        let lines = lines(page, heading: heading)
        var names: [String] = []
        for (index, line) in lines.enumerated() where (line == ".TP" || line == ".TQ") && index + 1 < lines.count {
            let words = lines[index + 1].split(separator: " ").dropFirst().map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\",")) }
            names += words.map { Substring($0) }.filter(isHelperName).map(String.init)
        }
        return names
    }

    /// The words set in bold (`.B name` or `.BR name ,`) anywhere in the section.
    static func boldNames(_ page: String, heading: String) -> [String] {
        lines(page, heading: heading).compactMap { line in
            guard line.hasPrefix(".B ") || line.hasPrefix(".BR ") else { return nil }
            let word = line.split(separator: " ").dropFirst().first ?? ""
            return isHelperName(word) ? String(word) : nil
        }
    }
}
