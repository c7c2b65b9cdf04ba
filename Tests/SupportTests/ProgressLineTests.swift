import XCTest

@testable import Support

/// A clock the test moves by hand and a terminal that keeps what was written.
private final class FakeTerminal: @unchecked Sendable {
    private let lock = Lock()
    private var time: Int64 = 0
    private var text = ""
    var status = "kindling: Installing modules"
    var columns = 80

    var now: Int64 { lock.withLock { time } }
    func advance(milliseconds: Int64) { lock.withLock { time += milliseconds * 1_000_000 } }
    func write(_ string: String) { lock.withLock { text += string } }
    /// What was written since the last call.
    func take() -> String {
        lock.withLock {
            defer { text = "" }; return text
        }
    }

    func line(delay: Int64 = 2_000_000_000, interval: Int64 = 100_000_000) -> ProgressLine {
        ProgressLine(
            delay: delay, interval: interval, now: { self.now }, columns: { self.columns }, write: { self.write($0) },
            status: { self.status })
    }
}

final class ProgressLineTests: XCTestCase {
    private let erase = "\u{1B}[K"

    func testNothingIsDrawnBeforeTheDelay() {
        let terminal = FakeTerminal()
        let line = terminal.line()
        line.refresh()
        terminal.advance(milliseconds: 1999)
        line.refresh()
        XCTAssertEqual(terminal.take(), "", "a build shorter than two seconds shows no line")
        terminal.advance(milliseconds: 1)
        line.refresh()
        XCTAssertEqual(terminal.take(), "\rkindling: Installing modules" + erase)
    }

    func testRedrawsAreAtMostOnePerIntervalAndOnlyForNewText() {
        let terminal = FakeTerminal()
        let line = terminal.line()
        terminal.advance(milliseconds: 2000)
        line.refresh()
        _ = terminal.take()
        terminal.status = "kindling: Installing modules: 3 kernel modules"
        terminal.advance(milliseconds: 50)
        line.refresh()
        XCTAssertEqual(terminal.take(), "", "50 ms after the last draw is too soon")
        terminal.advance(milliseconds: 50)
        line.refresh()
        XCTAssertEqual(terminal.take(), "\rkindling: Installing modules: 3 kernel modules" + erase)
        terminal.advance(milliseconds: 500)
        line.refresh()
        XCTAssertEqual(terminal.take(), "", "the same text is not drawn again")
    }

    func testTheTextIsCutToOneColumnLessThanTheTerminal() {
        let terminal = FakeTerminal()
        terminal.columns = 12
        terminal.status = "kindling: Writing the image\nsecond line"
        let line = terminal.line(delay: 0)
        line.refresh()
        XCTAssertEqual(terminal.take(), "\rkindling: W" + erase, "11 characters, and never a second line")
    }

    func testOtherOutputIsWrittenWithTheLineClearedThenTheLineComesBack() {
        let terminal = FakeTerminal()
        let line = terminal.line()
        line.withLineCleared { terminal.write("kindling: before the line\n") }
        XCTAssertEqual(terminal.take(), "kindling: before the line\n", "nothing to clear yet")
        terminal.advance(milliseconds: 2000)
        line.refresh()
        _ = terminal.take()
        line.withLineCleared { terminal.write("kindling: a log line\n") }
        XCTAssertEqual(
            terminal.take(),
            "\r" + erase + "kindling: a log line\n" + "\rkindling: Installing modules" + erase)
    }

    func testFinishingClearsTheLineAndNothingIsDrawnAfterwards() {
        let terminal = FakeTerminal()
        let line = terminal.line()
        terminal.advance(milliseconds: 2500)
        line.refresh()
        _ = terminal.take()
        line.finish()
        XCTAssertEqual(terminal.take(), "\r" + erase)
        terminal.status = "kindling: something new"
        terminal.advance(milliseconds: 1000)
        line.refresh()
        line.withLineCleared { terminal.write("kindling: done\n") }
        XCTAssertEqual(terminal.take(), "kindling: done\n")
    }

    func testFinishingBeforeAnythingWasShownWritesNothing() {
        let terminal = FakeTerminal()
        let line = terminal.line()
        line.finish()
        XCTAssertEqual(terminal.take(), "")
    }

    func testTheRefreshingThreadDrawsAndStopsAtFinish() {
        let terminal = FakeTerminal()
        let line = ProgressLine(
            delay: 0, interval: 1_000_000, now: monotonicNanoseconds, columns: { 80 }, write: { terminal.write($0) },
            status: { "kindling: busy" })
        line.startRefreshing()
        let deadline = monotonicNanoseconds() + 5_000_000_000
        var drawn = false
        while !drawn, monotonicNanoseconds() < deadline {
            usleep(1000)
            drawn = terminal.take().contains("\rkindling: busy")
        }
        XCTAssertTrue(drawn, "the thread drew the line")
        line.finish()
        XCTAssertEqual(terminal.take(), "\r" + erase, "the same text is not drawn twice; finishing clears it")
        usleep(20_000)
        XCTAssertEqual(terminal.take(), "", "nothing is drawn once finished")
    }

    func testLoggerLinesClearTheStatusLine() {
        let terminal = FakeTerminal()
        let line = terminal.line(delay: 0)
        line.refresh()
        _ = terminal.take()
        let logger = Logger(level: .info)
        logger.keepLinesClear(of: line)
        // The logger writes to the real standard error; what the line writes around it is checked.
        logger.debug("not shown at level info: the line is left alone")
        XCTAssertEqual(terminal.take(), "")
        logger.info("shown")
        XCTAssertEqual(terminal.take(), "\r" + erase + "\rkindling: Installing modules" + erase)
        logger.keepLinesClear(of: nil)
        logger.info("shown without the line")
        XCTAssertEqual(terminal.take(), "")
    }
}
