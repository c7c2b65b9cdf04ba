#if canImport(Glibc)
import Glibc
#endif
import Support
import XCTest
@testable import Archive

final class CommandSinkAbandonTests: XCTestCase {
    /// An image that is thrown away (an error, a signal) must not wait for its compressor to finish.
    func testAnAbandonedSinkStopsItsTool() throws {
        let output = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { close(output) }
        var sink: CommandSink? = try CommandSink(
            tool: "/bin/sh", arguments: ["-c", "cat >/dev/null; sleep 30"],
            outputFileDescriptor: output)
        try sink!.write(Array(repeating: 0, count: 4096))
        let started = MonotonicClock.seconds
        sink = nil
        XCTAssertLessThan(MonotonicClock.seconds - started, 5)
    }
}
