import Foundation
import XCTest
@testable import Archive

final class WritebackSinkTests: XCTestCase {
    private let megabyte = 1 << 20

    /// The bytes and the pieces reach the next sink as they were; the sink's own descriptor is
    /// closed when it finishes.
    func testPassesEverythingOnAndClosesItsDescriptor() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/image"
        let file = try FileSink(creating: path, bufferCapacity: 4096)
        let openBefore = try openDescriptorCount()
        let counter = CountingSink(forwardingTo: file)
        let sink = WritebackSink(forwardingTo: counter, fileDescriptor: file.fileDescriptor, interval: 1000)
        XCTAssertEqual(try openDescriptorCount(), openBefore + 1)
        let bytes = pseudoRandomBytes(300_000)
        try sink.beginSeparatePiece()
        for start in stride(from: 0, to: bytes.count, by: 7_000) {
            try bytes[start..<min(bytes.count, start + 7_000)].withUnsafeBytes { try sink.write($0) }
        }
        try sink.endSeparatePiece()
        try sink.finish()
        XCTAssertEqual(counter.count, UInt64(bytes.count))
        XCTAssertEqual(FileManager.default.contents(atPath: path).map { [UInt8]($0) }, bytes)
        XCTAssertEqual(try openDescriptorCount(), openBefore - 1, "the file sink's and its own are closed")
    }

    /// What passed through has its blocks allocated and on its way to the disk when the sink is
    /// finished; a file written without it is still waiting for its blocks (ext4's delayed
    /// allocation, which `filefrag` shows). The last megabyte may still wait.
    func testFileIsOnItsWayToTheDiskWhenFinished() throws {
        let directory = try TemporaryDirectory()
        let bytes = pseudoRandomBytes(8 * megabyte)
        let plain = directory.path + "/plain"
        let plainSink = try FileSink(creating: plain)
        try plainSink.write(bytes)
        try plainSink.finish()
        guard try delayedBlocks(of: plain).contains(0) else {
            throw XCTSkip("\(directory.path) does not delay allocating blocks: nothing to see")
        }

        let early = directory.path + "/early"
        let file = try FileSink(creating: early)
        let sink = WritebackSink(forwardingTo: file, fileDescriptor: file.fileDescriptor, interval: megabyte)
        try sink.write(bytes)
        try sink.finish()
        let waiting = try delayedBlocks(of: early)
        XCTAssertTrue(waiting.allSatisfy { $0 >= 7 * megabyte / 4096 }, "blocks still delayed: \(waiting.prefix(5))...")
    }

    /// The logical blocks of `path` in extents that `filefrag -v` flags delalloc.
    private func delayedBlocks(of path: String) throws -> [Int] {
        let result = try runTool("/usr/sbin/filefrag", ["-v", path])
        XCTAssertEqual(result.status, 0, result.errorText)
        var blocks: [Int] = []
        // "   0:        0..    1953:          0..         0:      0:             last,unknown_loc,delalloc,eof"
        for line in result.outputText.split(separator: "\n") where line.contains("delalloc") {
            let range = line.split(separator: ":")[1].split(separator: ".", omittingEmptySubsequences: true)
            guard range.count == 2, let first = Int(range[0].trimmingCharacters(in: .whitespaces)),
                let last = Int(range[1].trimmingCharacters(in: .whitespaces))
            else {
                XCTFail("cannot read the filefrag line \(line)")
                continue
            }
            blocks += Array(first...last)
        }
        return blocks
    }

    private func openDescriptorCount() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
    }
}
