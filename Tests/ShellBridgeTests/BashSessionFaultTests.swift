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

    /// The engine marks the files its own `bash -n` passed; the shell sources those without one
    /// of its own. (This file is broken, so only a skipped check lets check() run.)
    func testAFileMarkedAsPassedIsNotCheckedAgain() throws {
        let broken = try makeModule("30broken", "check() { return 0; }\ninstall() {\n    if true; then\n}\n")
        let shell = try session()
        let mark = "__kindling_syntax_checked+=([\(shellQuote(broken + "/module-setup.sh"))]=1)"
        XCTAssertEqual(try shell.evaluate(mark).status, 0)
        let result = try shell.call(
            module: "broken", directory: broken, function: "check", mode: .hostCheck, handler: RecordingHandler())
        XCTAssertEqual(result.status, 0)
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
