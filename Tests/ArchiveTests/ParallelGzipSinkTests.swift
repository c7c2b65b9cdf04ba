import CZlib
import Foundation
import XCTest
@testable import Archive

final class ParallelGzipSinkTests: XCTestCase {
    private let block = ParallelGzipSink.defaultBlockSize

    /// Compressible text: repeated, but not so regular that every block looks alike.
    private func textBytes(_ count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 64)
        var line = 0
        while bytes.count < count {
            bytes += Array("line \(line) of the archive: /usr/lib/modules/\(line % 97)/kernel.ko\n".utf8)
            line += 1
        }
        return Array(bytes.prefix(count))
    }

    /// Compresses `bytes` fed in uneven pieces, so block boundaries never line up with writes.
    private func compress(
        _ bytes: [UInt8], level: Int = 9, threads: Int = 2, blockSize: Int = ParallelGzipSink.defaultBlockSize
    ) throws -> [UInt8] {
        let memory = MemorySink()
        let gzip = try ParallelGzipSink(level: level, threadCount: threads, blockSize: blockSize, forwardingTo: memory)
        var offset = 0
        var piece = 1
        while offset < bytes.count {
            let end = min(bytes.count, offset + piece)
            try bytes[offset..<end].withUnsafeBytes { try gzip.write($0) }
            offset = end
            piece = piece * 7 % 300_007 + 1
        }
        try gzip.finish()
        return memory.bytes
    }

    private func gunzip(_ compressed: [UInt8]) throws -> [UInt8] {
        let result = try runTool("/usr/bin/gzip", ["-dc"], input: compressed)
        XCTAssertEqual(result.status, 0, result.errorText)
        return result.output
    }

    func testRoundTripsThroughGzipAtBlockBoundaries() throws {
        for size in [0, 1, block - 1, block, block + 1, 3 * block] {
            let input = pseudoRandomBytes(size, seed: UInt64(size))
            XCTAssertTrue(try gunzip(try compress(input)) == input, "size \(size)")
        }
    }

    func testRoundTripsSeveralMegabytes() throws {
        let random = pseudoRandomBytes(3 << 20)
        XCTAssertTrue(try gunzip(try compress(random)) == random, "random")
        let text = textBytes(5 << 20)
        let compressed = try compress(text)
        XCTAssertTrue(try gunzip(compressed) == text, "text")
        XCTAssertLessThan(compressed.count, text.count / 10)
    }

    func testEveryLevelRoundTrips() throws {
        let input = textBytes(300_000) + pseudoRandomBytes(100_000)
        for level in 0...9 {
            XCTAssertTrue(try gunzip(try compress(input, level: level)) == input, "level \(level)")
        }
    }

    func testOutputDoesNotDependOnThreadCount() throws {
        let input = textBytes(1 << 20) + pseudoRandomBytes(400_000) + textBytes(700_000)
        let single = try compress(input, threads: 1)
        XCTAssertEqual(try compress(input, threads: 2), single)
        XCTAssertEqual(try compress(input, threads: 8), single)
        // Small blocks: many joints, each at its own bit position.
        let smallBlocks = try compress(input, threads: 1, blockSize: 10_000)
        XCTAssertEqual(try compress(input, threads: 8, blockSize: 10_000), smallBlocks)
        XCTAssertTrue(try gunzip(smallBlocks) == input)
    }

    func testHeaderAndTrailerMatchSingleStreamGzip() throws {
        let input = textBytes(700_000)
        for level in [1, 6, 9] {
            let parallel = try compress(input, level: level)
            let single = try gzipCompressed(input, level: level)
            XCTAssertEqual(Array(parallel.prefix(10)), Array(single.prefix(10)), "header at level \(level)")
            XCTAssertEqual(Array(parallel.suffix(8)), Array(single.suffix(8)), "CRC and size at level \(level)")
        }
        let parallel = try compress(input)
        let crc = input.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
        XCTAssertEqual(littleEndianWord(parallel, at: parallel.count - 8), crc)
        XCTAssertEqual(littleEndianWord(parallel, at: parallel.count - 4), UInt32(input.count))
        XCTAssertEqual(Array(parallel.prefix(10)), [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3])
    }

    func testSizeIsStoredModulo4GiB() {
        var trailer = GzipTrailer()
        trailer.append(crc: 0, count: Int(UInt32.max))
        trailer.append(crc: 0, count: 2)
        XCTAssertEqual(Array(trailer.bytes.suffix(4)), [1, 0, 0, 0])
    }

    /// Blocks start without the previous block's window; 1 MiB blocks of libdeflate still come
    /// out no larger than one zlib -9 stream on a realistic input, a tar of binaries.
    func testRatioIsNoWorseThanSingleZlibStream() throws {
        let tar = try runTool("/bin/sh", ["-c", "tar cf - /usr/bin 2>/dev/null | head -c 12000000"])
        let input = tar.output
        XCTAssertGreaterThan(input.count, 4 << 20, "not enough of /usr/bin to measure")
        let parallel = try compress(input).count
        let single = try gzipCompressed(input, level: 9).count
        let difference = Double(parallel - single) / Double(single)
        XCTAssertLessThan(difference, 0.002, "parallel \(parallel) vs single stream \(single)")
    }

    /// Many block sizes, sizes around them, and the extremes of compressibility, every level:
    /// the gzip member inflates (zlib, in process) to the input and its trailer holds the CRC.
    func testManySplitsRoundTripInProcess() throws {
        let kinds: [(String, (Int) -> [UInt8])] = [
            ("zeros", { [UInt8](repeating: 0, count: $0) }),
            ("random", { pseudoRandomBytes($0, seed: UInt64($0)) }),
            ("text", { self.textBytes($0) }),
        ]
        for blockSize in [1, 7, 4096, 65_537] {
            // 150 kB in blocks of 1 or 7 bytes would only measure the thread hand-offs.
            let large = blockSize >= 4096 ? [150_000] : []
            for size in [0, 1, blockSize - 1, blockSize, blockSize + 1, 3 * blockSize + 5] + large {
                for (name, make) in kinds {
                    let input = make(size)
                    for level in blockSize == 4096 ? Array(0...9) : [1, 9] {
                        let gzip = try compress(input, level: level, threads: 3, blockSize: blockSize)
                        let what = "\(name), \(size) bytes, blocks of \(blockSize), level \(level)"
                        XCTAssertEqual(Array(gzip.prefix(3)), [0x1f, 0x8b, 8], what)
                        XCTAssertTrue(try inflateRaw(Array(gzip.dropFirst(10).dropLast(8))) == input, what)
                        let crc = input.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
                        XCTAssertEqual(littleEndianWord(gzip, at: gzip.count - 8), crc, what)
                    }
                }
            }
        }
    }

    func testGzipToolsAcceptTheOutput() throws {
        let input = textBytes(2_500_000) + pseudoRandomBytes(1_500_000) + [UInt8](repeating: 0, count: 1_000_000)
        let compressed = try compress(input, threads: 2)
        let test = try runTool("/usr/bin/gzip", ["-t"], input: compressed)
        XCTAssertEqual(test.status, 0, test.errorText)
        let gunzip = try runTool("/usr/bin/gunzip", ["-c"], input: compressed)
        XCTAssertEqual(gunzip.status, 0, gunzip.errorText)
        XCTAssertTrue(gunzip.output == input)
        // One member with one deflate stream: raw inflate of the body ends exactly at the trailer.
        XCTAssertTrue(try inflateRaw(Array(compressed.dropFirst(10).dropLast(8))) == input)
    }

    func testImageReaderReadsAnEarlyArchiveThenAParallelGzipArchive() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/initrd.img"
        let file = try FileSink(creating: path)
        try CpioWriter(sink: file).writeArchive([
            ArchiveEntry(path: "early_cpio", kind: .regularFile(.bytes([0x31])), mode: 0o644)
        ])
        let gzip = try ParallelGzipSink(threadCount: 2, blockSize: 50_000, forwardingTo: file)
        let data = textBytes(400_000)
        let initEntry = ArchiveEntry(path: "init", kind: .regularFile(.bytes(data)), mode: 0o755)
        try CpioWriter(sink: gzip).writeArchive([initEntry])
        try gzip.finish()

        let image = try ImageReader(path: path)
        XCTAssertEqual(try XCTUnwrap(try image.nextArchive()).compression, .uncompressed)
        let main = try XCTUnwrap(try image.nextArchive())
        XCTAssertEqual(main.compression, .gzip)
        XCTAssertEqual(try main.reader.nextMember()?.path, "init")
        XCTAssertTrue(try main.reader.readData() == data)
        XCTAssertNil(try image.nextArchive())
    }

    func testRejectsBadSettings() {
        for (level, threads, blockSize) in [(10, 1, 1000), (-1, 1, 1000), (9, 0, 1000), (9, 1, 0)] {
            XCTAssertThrowsError(
                try ParallelGzipSink(
                    level: level, threadCount: threads, blockSize: blockSize, forwardingTo: MemorySink())
            ) { error in
                XCTAssertTrue("\(error)".hasPrefix("gzip setup failed: "), "\(error)")
            }
        }
    }

    func testWriteAfterFinishIsAnError() throws {
        let gzip = try ParallelGzipSink(forwardingTo: MemorySink())
        try gzip.finish()
        try gzip.finish()
        XCTAssertThrowsError(try gzip.write([1])) { error in
            XCTAssertEqual("\(error)", "write to a gzip stream after it was finished")
        }
    }

    func testDestinationFailureSurfacesAndStopsTheThreads() throws {
        let gzip = try ParallelGzipSink(threadCount: 2, blockSize: 1000, forwardingTo: FailingSink())
        XCTAssertThrowsError(try gzip.write(pseudoRandomBytes(100_000))) { error in
            XCTAssertEqual(error as? ArchiveError, .misuse("disk full"))
        }
        XCTAssertThrowsError(try gzip.write([1]))
        XCTAssertThrowsError(try gzip.finish())
    }

    func testAbandonedSinkStopsItsThreads() throws {
        // Dropped mid-stream (an earlier step failed): deinit must join the threads, not hang.
        for _ in 0..<20 {
            let gzip = try ParallelGzipSink(threadCount: 4, blockSize: 5000, forwardingTo: MemorySink())
            try gzip.write(pseudoRandomBytes(60_000))
        }
    }

    private func littleEndianWord(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
    }
}

/// A destination whose every write fails.
private final class FailingSink: ByteSink {
    func write(_ bytes: UnsafeRawBufferPointer) throws { throw ArchiveError.misuse("disk full") }
    func finish() throws {}
}
