import Foundation
import XCTest
@testable import ShellBridge
import Support

/// How the bridge reports module code that fails: timeouts, syntax errors, dfatal before exit.
final class BashSessionFaultTests: ModuleShellTestCase {
    func testAFunctionPastTheTimeoutIsKilledWithItsChildren() throws {
        let pidFile = directory + "/pid"
        let module = try makeModule("10loops", "check() { echo $$ >'\(pidFile)'; while :; do sleep 0.1; done; }\n")
        let shell = try session()
        shell.callTimeout = 1
        let started = MonotonicClock.seconds
        XCTAssertThrowsError(
            try shell.call(
                module: "loops", directory: module, function: "check", mode: .hostCheck,
                handler: RecordingHandler())
        ) { error in
            XCTAssertEqual("\(error)", "module 'loops': check() did not finish within 1 s (--module-timeout)")
        }
        XCTAssertLessThan(MonotonicClock.seconds - started, 5)
        let pid = pid_t(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))!
        for _ in 0..<100 where kill(-pid, 0) == 0 { usleep(20_000) }
        XCTAssertNotEqual(kill(-pid, 0), 0, "the shell's process group is gone")
    }

    func testASyntaxErrorNamesTheFileAndLine() throws {
        let module = try makeModule("10broken", "check() { return 0; }\ninstall() {\n    if true; then\n}\n")
        let shell = try session()
        XCTAssertThrowsError(
            try shell.call(
                module: "broken", directory: module, function: "check", mode: .hostCheck,
                handler: RecordingHandler())
        ) { error in
            XCTAssertTrue("\(error)".hasPrefix("module 'broken' failed in check(): \(module)/module-setup.sh: line "), "\(error)")
            XCTAssertTrue("\(error)".contains("syntax error"), "\(error)")
        }
    }

    /// One `bash -n` for the whole catalog marks every file checked; one broken file marks none,
    /// so the broken one still fails with its own name and line when it is sourced.
    func testTheCatalogIsCheckedInOneParseAndABrokenFileStillNamesItself() throws {
        let good = try makeModule("10good", "check() { [[ x == @(x|y) ]]; }\ninstall() { cat <<EOF\n}\nEOF\n}\n")
        let other = try makeModule("20other", "depends() { echo good; }\n")
        let shell = try session()
        func marked(_ count: Int) -> String { "\n__kindling_check_module_syntax\n((${#__kindling_syntax_checked[@]} == \(count)))" }
        let catalog = "declare -gA __kindling_module_dirs=([good]=\(shellQuote(good)) [other]=\(shellQuote(other)))"
        XCTAssertEqual(try shell.evaluate(catalog + marked(2)).status, 0)

        let broken = try makeModule("30broken", "check() { return 0; }\ninstall() {\n    if true; then\n}\n")
        let fresh = try session()
        let all = "declare -gA __kindling_module_dirs=([good]=\(shellQuote(good)) [broken]=\(shellQuote(broken)))"
        XCTAssertEqual(try fresh.evaluate(all + marked(0)).status, 0)
        XCTAssertThrowsError(
            try fresh.call(
                module: "broken", directory: broken, function: "check", mode: .hostCheck,
                handler: RecordingHandler())
        ) { error in
            XCTAssertTrue("\(error)".contains("\(broken)/module-setup.sh: line 4: syntax error"), "\(error)")
        }
    }

    func testTheLastDfatalBeforeExitIsTheReason() throws {
        let module = try makeModule("10picky", "install() { derror 'first problem'; dfatal 'the real problem'; exit 1; }\n")
        let shell = try session()
        XCTAssertThrowsError(
            try shell.call(
                module: "picky", directory: module, function: "install", mode: .run,
                handler: RecordingHandler())
        ) { error in
            XCTAssertEqual("\(error)", "module 'picky' failed in install(): the real problem")
        }
    }

    func testAFatalFailureGivesTheLastErrorAndAnOrdinaryOneReturns() throws {
        let module = try makeModule("10fails", "installkernel() { derror 'no such driver'; return 3; }\n")
        let shell = try session()
        XCTAssertEqual(
            try shell.call(
                module: "fails", directory: module, function: "installkernel", mode: .run,
                handler: RecordingHandler()
            ).status, 3)
        XCTAssertThrowsError(
            try shell.call(
                module: "fails", directory: module, function: "installkernel", mode: .run,
                handler: RecordingHandler(), failureIsFatal: true)
        ) { error in
            XCTAssertEqual("\(error)", "module 'fails' failed in installkernel(): no such driver")
        }
    }

    func testArgumentsThatAreNotUTF8KeepTheirBytes() throws {
        let module = try makeModule("10bytes", "install() { inst_simple $'/tmp/\\xff\\xfe name' /x; }\n")
        let handler = RecordingHandler()
        let shell = try session()
        _ = try shell.call(module: "bytes", directory: module, function: "install", mode: .run, handler: handler)
        XCTAssertEqual(
            handler.requests.first.map { PathBytes.bytes($0.arguments[0]) },
            Array("/tmp/".utf8) + [0xFF, 0xFE] + Array(" name".utf8))
    }
}
