import XCTest
@testable import Support

final class SubprocessTests: XCTestCase {
    func testRunCommandCollectsOutputAndStatus() throws {
        let output = try runCommand("/bin/sh", ["-c", "cat; echo err >&2; exit 3"], input: Array("hello".utf8))
        XCTAssertEqual(output.status, 3)
        XCTAssertEqual(output.outputText, "hello")
        XCTAssertEqual(output.errorText, "err\n")
    }

    func testMissingExecutableIsAnError() {
        XCTAssertThrowsError(try runCommand("/nonexistent/tool", []))
    }
}
