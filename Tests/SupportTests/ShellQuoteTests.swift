import XCTest
@testable import Support

final class ShellQuoteTests: XCTestCase {
    /// bash gives back each value as it was, a quote that a combining mark follows included.
    func testBashEvaluatesQuotedValuesBackToThemselves() throws {
        let values = ["", "plain", "it's", "''", "a'\u{301}b", "$HOME `id` \\ \"x\"", "line\nbreak", "*?[a]"]
        for value in values {
            let output = try runCommand("/bin/bash", ["-c", "printf '%s' " + shellQuote(value)])
            XCTAssertEqual(output.status, 0, "\(value.debugDescription): \(output.errorText)")
            XCTAssertEqual(output.outputText, value)
        }
        XCTAssertEqual(shellQuote("it's"), "'it'\\''s'")
    }
}
