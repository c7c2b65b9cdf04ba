import Foundation
import Support
import XCTest

/// regularFileBytes: a regular file's bytes, through symlinks; nothing for anything else.
final class RegularFileBytesTests: XCTestCase {
    func testOnlyARegularFileIsReadAndAFIFODoesNotWaitForAWriter() throws {
        let directory = NSTemporaryDirectory() + "kindling-bytes-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/dir", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("a=1\n\u{0}b=2\n".utf8).write(to: URL(fileURLWithPath: directory + "/file"))
        try FileManager.default.createSymbolicLink(atPath: directory + "/link", withDestinationPath: "file")
        XCTAssertEqual(mkfifo(directory + "/fifo", 0o600), 0)

        XCTAssertEqual(regularFileBytes(atPath: directory + "/file"), Array("a=1\n\u{0}b=2\n".utf8))
        XCTAssertEqual(regularFileBytes(atPath: directory + "/link"), Array("a=1\n\u{0}b=2\n".utf8))
        XCTAssertNil(regularFileBytes(atPath: directory + "/dir"))
        XCTAssertNil(regularFileBytes(atPath: directory + "/fifo"))
        XCTAssertNil(regularFileBytes(atPath: directory + "/missing"))
    }
}
