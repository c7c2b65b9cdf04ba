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

    /// An argument or an environment value that is not UTF-8 reaches the child as its very bytes
    /// (a Latin-1 file name from a config file), not as the escapes that carry it in a String.
    func testArgumentsAndEnvironmentAreRawBytes() throws {
        let name = PathBytes.string(Array("caf".utf8) + [0xE9])
        let script = "printf '%s|%s' \"$1\" \"$V\" | od -An -tx1"
        let output = try runCommand("/bin/sh", ["-c", script, "sh", name], environment: ["V": name, "PATH": "/usr/bin:/bin"])
        XCTAssertEqual(output.outputText.split(separator: " ").joined(separator: " "), "63 61 66 e9 7c 63 61 66 e9\n")
    }
}
