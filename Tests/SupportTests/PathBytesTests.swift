#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest
@testable import Support

final class PathBytesTests: XCTestCase {
    func testBytesThatAreNotUTF8SurviveTheRoundTrip() {
        let raw: [UInt8] = Array("/tmp/a b/".utf8) + [0xFF, 0xFE, 0xC3] + Array("é\n".utf8)
        let text = PathBytes.string(raw)
        XCTAssertEqual(PathBytes.bytes(text), raw)
        XCTAssertEqual(PathBytes.string(Array("plain é".utf8)), "plain é", "UTF-8 is left as it is")
        // Through a bash and back, the escapes arrive as UTF-8 and still mean their bytes.
        XCTAssertEqual(PathBytes.bytes(PathBytes.string(Array(text.utf8))), raw)
    }

    func testSystemCallsOnAStringPathUseTheRawBytes() throws {
        let directory = NSTemporaryDirectory() + "kindling-bytes-\(UUID().uuidString)"
        XCTAssertEqual(mkdir(directory, 0o700), 0)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let name = PathBytes.string(Array((directory + "/").utf8) + [0xFF, 0xFE])
        let fd = open(name, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        close(fd)
        var status = stat()
        XCTAssertEqual(lstat(name, &status), 0)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        XCTAssertEqual(names.count, 1)
        let bytes = Array((directory + "/").utf8) + [0xFF, 0xFE, 0]
        XCTAssertEqual(
            bytes.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { Glibc.access($0.baseAddress!, F_OK) } }, 0,
            "the file is named by the raw bytes, not by their UTF-8 escapes")
    }

    func testHeldErrorsAreReleasedExceptTheCause() {
        let logger = Logger(level: .fatal)
        var seen: [String] = []
        logger.addSink { seen.append($0) }
        logger.holdErrors()
        logger.error("first")
        logger.fatal("the cause")
        XCTAssertEqual(logger.releaseErrors(keeping: 1), ["the cause"])
        XCTAssertEqual(seen, ["first", "the cause"], "a log file still gets every line as it comes")
        XCTAssertEqual(logger.releaseErrors(keeping: 1), [], "nothing is held after a release")
    }

    func testTerminateGroupKillsWhatIgnoresSIGTERM() throws {
        let child = try ChildProcess(
            executable: "/bin/bash", arguments: ["-c", "trap '' TERM; sleep 30 & wait"],
            environment: [:], descriptors: [:], newProcessGroup: true)
        usleep(200_000)
        let started = MonotonicClock.seconds
        XCTAssertEqual(child.terminateGroup(grace: 0.3), 128 + SIGKILL)
        XCTAssertLessThan(MonotonicClock.seconds - started, 5)
        // The orphaned sleep is reaped by init a moment later.
        for _ in 0..<100 where kill(-child.pid, 0) == 0 { usleep(20_000) }
        XCTAssertNotEqual(kill(-child.pid, 0), 0, "nothing of the group is left")
    }

    /// Messages quoting a value show control characters and raw bytes, never send them raw.
    func testVisibleQuotesControlCharactersAndRawBytes() {
        XCTAssertEqual(PathBytes.visible("/var/crash"), "/var/crash")
        XCTAssertEqual(PathBytes.visible("café"), "café")
        XCTAssertEqual(PathBytes.visible("-l\r"), "$'-l\\r'")
        XCTAssertEqual(PathBytes.visible("a\nb\tc'd\\"), "$'a\\nb\\tc\\'d\\\\'")
        XCTAssertEqual(PathBytes.visible(PathBytes.string(Array("caf".utf8) + [0xE9])), "$'caf\\xe9'")
        XCTAssertEqual(PathBytes.visible("\u{1B}[2J"), "$'\\x1b[2J'")
        XCTAssertFalse(PathBytes.carriesRawBytes("café"))
        XCTAssertTrue(PathBytes.carriesRawBytes(PathBytes.string([0xFF])))
    }
}
