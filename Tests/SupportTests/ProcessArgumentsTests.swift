import XCTest

@testable import Support

#if canImport(Glibc)
import Glibc
#endif

final class ProcessArgumentsTests: XCTestCase {
    /// The C library's own argv, which needs no /proc: the test runner's command line.
    func testTheArgumentsAreTheProcesssOwn() {
        let arguments = ProcessArguments.bytes
        XCTAssertFalse(arguments.isEmpty)
        XCTAssertEqual(arguments.count, Int(CommandLine.argc))
        XCTAssertEqual(arguments.map { String(decoding: $0, as: UTF8.self) }, CommandLine.arguments)
    }

    func testTheExecutableIsProcSelfExeWhenThereIsOne() {
        let path = ProcessArguments.executablePath(argumentZero: "whatever")
        XCTAssertEqual(path.map { access($0, X_OK) }, 0)
        XCTAssertNotEqual(path, "whatever")
    }

    /// Without /proc: argv[0] as the shell found it, a bare name looked up in PATH.
    func testWithoutProcArgumentZeroIsUsedAndABareNameIsLookedUpInThePath() {
        let missing = "/nonexistent-kindling-test/exe"
        XCTAssertEqual(ProcessArguments.executablePath(argumentZero: "/opt/x/kindling", selfLink: missing), "/opt/x/kindling")
        XCTAssertEqual(
            ProcessArguments.executablePath(argumentZero: "sh", searchPath: "/nonexistent-kindling-test:/bin", selfLink: missing),
            "/bin/sh")
        XCTAssertEqual(
            ProcessArguments.executablePath(argumentZero: "no-such-tool", searchPath: "/bin", selfLink: missing),
            "no-such-tool")
        XCTAssertNil(ProcessArguments.executablePath(argumentZero: nil, selfLink: missing))
        XCTAssertNil(ProcessArguments.executablePath(argumentZero: "", selfLink: missing))
    }

    /// A child without /dev/null still gets an empty standard input.
    func testTheEmptyInputReadsAsAnEmptyFile() throws {
        let fd = try openEmptyInput()
        defer { close(fd) }
        XCTAssertEqual(readAll(fd: fd), [])
    }
}
