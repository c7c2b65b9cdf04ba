import Foundation
import XCTest
@testable import Archive

final class SinkTests: XCTestCase {
    private let sample = pseudoRandomBytes(200_000) + Array(String(repeating: "compressible text ", count: 20_000).utf8)

    /// Writes `bytes` to `sink` in uneven pieces.
    private func feed(_ bytes: [UInt8], to sink: any ByteSink) throws {
        var offset = 0
        var piece = 1
        while offset < bytes.count {
            let end = min(bytes.count, offset + piece)
            try bytes[offset..<end].withUnsafeBytes { try sink.write($0) }
            offset = end
            piece = piece * 3 % 70_001 + 1
        }
    }

    func testGzipOutputDecompressesWithGzip() throws {
        for level in [0, 1, 6, 9] {
            let memory = MemorySink()
            let gzip = try GzipSink(level: level, forwardingTo: memory)
            try feed(sample, to: gzip)
            try gzip.finish()
            let result = try runTool("/usr/bin/gzip", ["-dc"], input: memory.bytes)
            XCTAssertEqual(result.status, 0, result.errorText)
            XCTAssertTrue(result.output == sample, "level \(level)")
        }
    }

    func testGzipHeaderIsReproducible() throws {
        let first = try gzipCompressed(sample, level: 9)
        let second = try gzipCompressed(sample, level: 9)
        XCTAssertEqual(first, second)
        XCTAssertEqual(Array(first[0..<3]), [0x1f, 0x8b, 8])
        XCTAssertEqual(first[3], 0, "no file name or other optional fields")
        XCTAssertEqual(Array(first[4..<8]), [0, 0, 0, 0], "zero timestamp")
    }

    func testGzipOfNothingIsAValidEmptyStream() throws {
        let result = try runTool("/usr/bin/gzip", ["-dc"], input: try gzipCompressed([]))
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.output, [])
    }

    func testGzipRejectsBadLevelAndWritesAfterFinish() throws {
        XCTAssertThrowsError(try GzipSink(level: 10, forwardingTo: MemorySink()))
        let gzip = try GzipSink(forwardingTo: MemorySink())
        try gzip.finish()
        XCTAssertThrowsError(try gzip.write([1, 2, 3]))
    }

    func testChainedSinksWriteAFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/chain.gz"
        let file = try FileSink(creating: path, bufferCapacity: 1000)
        let counter = CountingSink(forwardingTo: file)
        let gzip = try GzipSink(level: 1, forwardingTo: counter)
        try feed(sample, to: gzip)
        try gzip.finish()
        XCTAssertEqual(file.bytesWritten, counter.count)
        XCTAssertEqual(UInt64(fileStatus(RawPath(path))!.st_size), counter.count)
        XCTAssertEqual(try runTool("/usr/bin/gzip", ["-dc", path]).output, sample)
    }

    func testFileSinkReportsWriteErrors() throws {
        let sink = FileSink(fileDescriptor: 1000, name: "closed descriptor", bufferCapacity: 1)
        XCTAssertThrowsError(try sink.write([1, 2, 3])) { error in
            XCTAssertEqual("\(error)", "cannot write 'closed descriptor': Bad file descriptor")
        }
    }

    func testCountingSinkWithoutDestinationMeasures() throws {
        let counter = CountingSink()
        try CpioWriter(sink: counter).writeArchive([ArchiveEntry(path: ".", kind: .directory, mode: 0o755)])
        XCTAssertEqual(counter.count, 512)
    }

    func testCommandSinkCompressesIntoAFile() throws {
        guard toolExists("zstd") else { throw XCTSkip("zstd is not installed") }
        let directory = try TemporaryDirectory()
        let path = directory.path + "/out.zst"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(descriptor) }
        let zstd = try CommandSink(tool: "zstd", arguments: ["-q", "-c"], outputFileDescriptor: descriptor)
        try feed(sample, to: zstd)
        try zstd.finish()
        XCTAssertEqual(try runTool("/usr/bin/zstd", ["-dc", path]).output, sample)
    }

    func testCommandSinkReportsAFailingTool() throws {
        let sink = try CommandSink(
            tool: "/bin/sh", arguments: ["-c", "echo 'no space left' >&2; exit 3"],
            outputFileDescriptor: 1)
        // The tool may already be gone while we write; either way the failure must surface, not SIGPIPE.
        do {
            for _ in 0..<100 { try sink.write(pseudoRandomBytes(65536)) }
            try sink.finish()
            XCTFail("a failing tool went unnoticed")
        } catch let error as ArchiveError {
            XCTAssertEqual("\(error)", "'/bin/sh' failed with exit status 3: no space left")
        }
    }

    func testCommandSinkNamesAMissingTool() {
        XCTAssertThrowsError(try CommandSink(tool: "/nonexistent/zstd", arguments: [], outputFileDescriptor: 1)) { error in
            XCTAssertEqual("\(error)", "cannot compress with /nonexistent/zstd: '/nonexistent/zstd' is not installed")
        }
    }

    func testEarlyArchiveThenZstdMainInOneFile() throws {
        guard toolExists("zstd") else { throw XCTSkip("zstd is not installed") }
        let directory = try TemporaryDirectory()
        let path = directory.path + "/initrd.img"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        defer { close(descriptor) }
        let file = FileSink(fileDescriptor: descriptor, name: path)
        let marker = ArchiveEntry(path: "early_cpio", kind: .regularFile(.bytes([0x31])), mode: 0o644)
        try CpioWriter(sink: file).writeArchive([marker])
        try file.flush()
        let zstd = try CommandSink(tool: "zstd", arguments: ["-q", "-c"], outputFileDescriptor: descriptor)
        let initEntry = ArchiveEntry(path: "init", kind: .regularFile(.bytes(sample)), mode: 0o755)
        try CpioWriter(sink: zstd).writeArchive([initEntry])
        try zstd.finish()

        let image = try ImageReader(path: path)
        let early = try XCTUnwrap(try image.nextArchive())
        XCTAssertEqual(try early.reader.nextMember()?.path, "early_cpio")
        let main = try XCTUnwrap(try image.nextArchive())
        XCTAssertEqual(main.compression, .zstd)
        XCTAssertEqual(try main.reader.nextMember()?.path, "init")
        XCTAssertEqual(try main.reader.readData(), sample)
        XCTAssertNil(try image.nextArchive())
    }
}
