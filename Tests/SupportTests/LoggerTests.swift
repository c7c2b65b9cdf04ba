import Support
import XCTest

final class LoggerTests: XCTestCase {
    func testALevelledSinkGetsOnlyTheLinesAtItsLevelOrMoreImportant() {
        let logger = Logger(level: .fatal)
        var fileLines: [String] = []
        var everyLine: [String] = []
        logger.addSink(upTo: .info) { level, line in fileLines.append("\(level.letter): \(line)") }
        logger.addSink { everyLine.append($0) }

        logger.error("broken")
        logger.info("including")
        logger.debug("details")

        XCTAssertEqual(fileLines, ["E: broken", "I: including"])
        XCTAssertEqual(everyLine, ["broken", "including", "details"])
    }

    func testLettersAreDracuts() {
        XCTAssertEqual([LogLevel.fatal, .error, .warning, .info, .debug, .trace].map(\.letter), ["F", "E", "W", "I", "D", "T"])
    }
}
