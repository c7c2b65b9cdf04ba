import Foundation
import XCTest
@testable import ShellBridge
import Support

/// The programs module code runs, through the shim's functions: the engine's stand-ins where the
/// shell talks to the engine, the programs themselves elsewhere, with the same results.
final class ProgramStandInShellTests: ModuleShellTestCase {
    private func shellSession(standIns: String? = nil) throws -> BashSession {
        var environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"]
        environment["KINDLING_STAND_INS"] = standIns
        return try BashSession(shimPath: shimPath, environment: environment, logger: Logger(level: .fatal))
    }

    private func runInstall(_ body: String, in shell: BashSession) throws -> ModuleCallResult {
        let module = try makeModule("10programs", "install() {\n\(body)\n}\n")
        return try shell.call(module: "programs", directory: module, function: "install", mode: .run, handler: RecordingHandler())
    }

    private func writeFixture() throws -> String {
        let tree = directory + "/tree"
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        try "root:x:0:\nadm:x:4:\nwheel:x:10:\n".write(toFile: tree + "/group", atomically: true, encoding: .utf8)
        return tree
    }

    /// What dracut's stock modules do most, in the forms they use.
    private func stockForms(_ tree: String) -> String {
        """
            { grep '^adm:' \(tree)/group 2>/dev/null; grep '^nobody:' \(tree)/group; } >> \(tree)/out
            grep -q '^wheel:' \(tree)/group && echo wheel >> \(tree)/out
            mkdir -m 0755 -p \(tree)/usr/lib/dracut/hooks
            ln -sf ../usr/lib/initrd-release \(tree)/os-release
            : > \(tree)/machine-id
            chmod 444 \(tree)/machine-id
            echo "$(uname -m)" >> \(tree)/out
            grep '^root' \(tree)/group | while read -r line; do echo "piped $line" >> \(tree)/out; done
        """
    }

    private func outcome(_ tree: String) throws -> [String] {
        var status = stat()
        XCTAssertEqual(stat(tree + "/machine-id", &status), 0)
        return [
            try String(contentsOfFile: tree + "/out", encoding: .utf8),
            try FileManager.default.destinationOfSymbolicLink(atPath: tree + "/os-release"),
            String(status.st_mode & 0o7777, radix: 8),
            String(FileManager.default.fileExists(atPath: tree + "/usr/lib/dracut/hooks")),
        ]
    }

    func testStockFormsGiveWhatTheProgramsGive() throws {
        let tree = try writeFixture()
        let shell = try shellSession()
        XCTAssertEqual(try runInstall(stockForms(tree), in: shell).status, 0)
        var machine = utsname()
        uname(&machine)
        let architecture = withUnsafeBytes(of: machine.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        XCTAssertEqual(
            try outcome(tree), ["adm:x:4:\nwheel\n\(architecture)\npiped root:x:0:\n", "../usr/lib/initrd-release", "444", "true"])
        // Two greps, grep -q, mkdir, ln and chmod; not uname in its command substitution nor the
        // grep of the pipeline, whose subshells run beside the shell the engine talks to.
        XCTAssertEqual(shell.standInCalls, 6)

        let plain = directory + "/plain"
        try FileManager.default.moveItem(atPath: tree, toPath: plain)
        let programsOnly = try shellSession(standIns: "")
        _ = try writeFixture()
        XCTAssertEqual(try runInstall(stockForms(tree), in: programsOnly).status, 0)
        XCTAssertEqual(programsOnly.standInCalls, 0)
        XCTAssertEqual(try outcome(tree), try outcome(plain))
    }

    /// A captured function (depends) runs in a command substitution: the stand-ins serve it too.
    func testCapturedFunctionsUseTheStandIns() throws {
        let tree = try writeFixture()
        let module = try makeModule("10captured", "depends() {\n grep -q '^adm:' \(tree)/group && echo base\n}\n")
        let shell = try shellSession()
        let result = try shell.call(module: "captured", directory: module, function: "depends", mode: .capture, handler: RecordingHandler())
        XCTAssertEqual(result.output, "base")
        XCTAssertEqual(shell.standInCalls, 1)
    }

    /// Module code's own function of the same name wins, as it would over the program.
    func testAModuleFunctionOfTheSameNameWins() throws {
        let tree = try writeFixture()
        let shell = try shellSession()
        let result = try runInstall("grep() { echo mine > \(tree)/out; }\ngrep '^adm:' \(tree)/group", in: shell)
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(try String(contentsOfFile: tree + "/out", encoding: .utf8), "mine\n")
        XCTAssertEqual(shell.standInCalls, 0)
    }

    /// What a stand-in declines (an error, an unknown option) is the program's to say.
    func testDeclinedCallsRunTheProgram() throws {
        let tree = try writeFixture()
        let shell = try shellSession()
        let result = try runInstall(
            "grep -c x \(tree)/group > \(tree)/out; grep x \(tree)/missing 2>> \(tree)/out; echo \"status $?\" >> \(tree)/out",
            in: shell)
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(
            try String(contentsOfFile: tree + "/out", encoding: .utf8),
            "3\ngrep: \(tree)/missing: No such file or directory\nstatus 2\n")
        XCTAssertEqual(shell.standInCalls, 0)
    }
}
