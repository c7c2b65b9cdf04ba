import Foundation
import XCTest
@testable import Archive

final class ImageReaderTests: XCTestCase {
    private let earlyEntries = [
        ArchiveEntry(path: ".", kind: .directory, mode: 0o755),
        ArchiveEntry(path: "early_cpio", kind: .regularFile(.bytes(Array("1\n".utf8))), mode: 0o644),
        ArchiveEntry(path: "kernel", kind: .directory, mode: 0o755),
        ArchiveEntry(path: "kernel/x86", kind: .directory, mode: 0o755),
        ArchiveEntry(path: "kernel/x86/microcode", kind: .directory, mode: 0o755),
        ArchiveEntry(
            path: "kernel/x86/microcode/GenuineIntel.bin",
            kind: .regularFile(.bytes(pseudoRandomBytes(1000))), mode: 0o644),
    ]

    private let mainEntries = [
        ArchiveEntry(path: ".", kind: .directory, mode: 0o755),
        ArchiveEntry(path: "bin", kind: .symlink(target: "usr/bin"), mode: 0o777),
        ArchiveEntry(path: "init", kind: .regularFile(.bytes(Array("#!/bin/sh\n".utf8))), mode: 0o755),
        ArchiveEntry(path: "usr", kind: .directory, mode: 0o755),
        ArchiveEntry(path: "usr/big", kind: .regularFile(.bytes(pseudoRandomBytes(500_000))), mode: 0o644),
    ]

    /// Every archive in the image as (compression, offset, members with data).
    private func readImage(_ path: String) throws -> [(Compression, UInt64, [(CpioMember, [UInt8])])] {
        let image = try ImageReader(path: path)
        var archives: [(Compression, UInt64, [(CpioMember, [UInt8])])] = []
        while let archive = try image.nextArchive() {
            var members: [(CpioMember, [UInt8])] = []
            while let member = try archive.reader.nextMember() {
                members.append((member, try archive.reader.readData()))
            }
            XCTAssertEqual(archive.index, archives.count)
            archives.append((archive.compression, archive.segmentOffset, members))
        }
        return archives
    }

    private func write(_ bytes: [UInt8], to path: String) throws {
        try writeFile(RawPath(path), bytes)
    }

    func testEarlyPlainArchiveFollowedByGzipMain() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/initrd.img"
        let sink = try FileSink(creating: path)
        try CpioWriter(sink: sink).writeArchive(earlyEntries)
        let gzip = try GzipSink(forwardingTo: sink)
        try CpioWriter(sink: gzip).writeArchive(mainEntries)
        try gzip.finish()

        let archives = try readImage(path)
        XCTAssertEqual(archives.count, 2)
        XCTAssertEqual(archives[0].0, .uncompressed)
        XCTAssertEqual(archives[0].1, 0)
        XCTAssertEqual(archives[0].2.map(\.0.path), earlyEntries.map(\.path))
        XCTAssertEqual(archives[1].0, .gzip)
        XCTAssertEqual(archives[1].1, UInt64(try archiveBytes(earlyEntries).count))
        XCTAssertEqual(archives[1].2.map(\.0.path), mainEntries.map(\.path))
        XCTAssertEqual(archives[1].2.last?.1, pseudoRandomBytes(500_000))
    }

    func testReadsGzipMadeByGzipWithZeroPaddingAndMultipleMembers() throws {
        let directory = try TemporaryDirectory()
        let main = try archiveBytes(mainEntries)
        // A cpio split over two gzip members, as `cat a.gz b.gz` gives, then zero padding.
        let half = main.count / 2
        let first = try runTool("/usr/bin/gzip", ["-c"], input: Array(main[..<half])).output
        let second = try runTool("/usr/bin/gzip", ["-c", "-1"], input: Array(main[half...])).output
        let path = directory.path + "/multi.img"
        try write(
            try archiveBytes(earlyEntries) + [UInt8](repeating: 0, count: 1024) + first + second
                + [UInt8](repeating: 0, count: 300), to: path)

        let archives = try readImage(path)
        XCTAssertEqual(archives.map(\.0), [.uncompressed, .gzip])
        XCTAssertEqual(archives[1].2.map(\.0.path), mainEntries.map(\.path))
        XCTAssertEqual(archives[1].2.last?.1, pseudoRandomBytes(500_000))
    }

    func testSeveralArchivesInsideOneCompressedSegment() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/double.img"
        try write(
            try gzipCompressed(try archiveBytes(earlyEntries) + [0, 0, 0, 0] + (try archiveBytes(mainEntries))),
            to: path)
        let archives = try readImage(path)
        XCTAssertEqual(archives.map(\.0), [.gzip, .gzip])
        XCTAssertEqual(archives[1].2.count, mainEntries.count)
    }

    func testExternalDecompressors() throws {
        let tools: [(Compression, String, [String])] = [
            (.zstd, "zstd", ["-c", "-q"]), (.xz, "xz", ["-c", "--check=crc32"]), (.bzip2, "bzip2", ["-c"]),
            (.lz4, "lz4", ["-c", "-l", "-q"]), (.lzma, "xz", ["-c", "--format=lzma"]),
        ]
        let directory = try TemporaryDirectory()
        let main = try archiveBytes(mainEntries)
        var tested = 0
        for (compression, tool, arguments) in tools where toolExists(tool) {
            let compressed = try runTool("/usr/bin/env", [tool] + arguments, input: main)
            XCTAssertEqual(compressed.status, 0, compressed.errorText)
            let path = directory.path + "/\(compression).img"
            try write(try archiveBytes(earlyEntries) + compressed.output, to: path)
            let archives = try readImage(path)
            XCTAssertEqual(archives.map(\.0), [.uncompressed, compression], "\(compression)")
            XCTAssertEqual(archives.last?.2.last?.1, pseudoRandomBytes(500_000), "\(compression)")
            tested += 1
        }
        if tested == 0 { throw XCTSkip("no external compressor installed") }
    }

    func testMissingDecompressorIsAClearError() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/lzo.img"
        try write([0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a] + pseudoRandomBytes(100), to: path)
        let savedPath = String(cString: getenv("PATH"))
        setenv("PATH", directory.path, 1)
        defer { setenv("PATH", savedPath, 1) }
        XCTAssertThrowsError(try readImage(path)) { error in
            XCTAssertEqual("\(error)", "cannot decompress lzo data: 'lzop' is not installed")
        }
    }

    func testFailingDecompressorReportsItsError() throws {
        guard toolExists("zstd") else { throw XCTSkip("zstd is not installed") }
        let directory = try TemporaryDirectory()
        let path = directory.path + "/bad.img"
        try write([0x28, 0xb5, 0x2f, 0xfd] + pseudoRandomBytes(100), to: path)
        XCTAssertThrowsError(try readImage(path)) { error in
            guard case ArchiveError.toolFailed(let tool, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(tool, "zstd")
        }
    }

    func testTruncatedAndCorruptGzipAreErrors() throws {
        let directory = try TemporaryDirectory()
        let compressed = try gzipCompressed(try archiveBytes(mainEntries))
        for length in [3, 10, 11, 100, compressed.count / 2, compressed.count - 5] {
            let path = directory.path + "/truncated-\(length).img"
            try write(Array(compressed.prefix(length)), to: path)
            XCTAssertThrowsError(try readImage(path), "length \(length)") { error in
                guard case ArchiveError.truncated = error else { return XCTFail("length \(length): \(error)") }
            }
        }
        var corrupt = compressed
        for index in 20..<60 { corrupt[index] ^= 0x5a }
        let path = directory.path + "/corrupt.img"
        try write(corrupt, to: path)
        XCTAssertThrowsError(try readImage(path)) { error in
            XCTAssertTrue(error is ArchiveError, "\(error)")
            XCTAssertTrue("\(error)".contains(path), "\(error)")
        }
    }

    func testTruncatedImagesAreErrorsAtEveryLength() throws {
        let directory = try TemporaryDirectory()
        let image = try archiveBytes(earlyEntries.prefix(2).map { $0 })
        let trailerEnd = endOfTrailer(in: image)
        for length in 1..<trailerEnd {
            let path = directory.path + "/cut.img"
            try write(Array(image.prefix(length)), to: path)
            XCTAssertThrowsError(try readImage(path), "length \(length)")
        }
    }

    func testUnrecognizedDataAndOldFormatsAreNamed() throws {
        let directory = try TemporaryDirectory()
        let cases: [([UInt8], String)] = [
            (Array("hello world".utf8), "unrecognized data (starts with hello wo)"),
            (Array("0707070000000000".utf8), "odc (070707) cpio archive"),
            ([0xc7, 0x71, 0, 0, 0, 0, 0, 0], "old binary cpio archive"),
        ]
        for (bytes, expected) in cases {
            let path = directory.path + "/odd.img"
            try write(bytes, to: path)
            XCTAssertThrowsError(try readImage(path)) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)")
                XCTAssertTrue("\(error)".contains("byte 0 of '\(path)'"), "\(error)")
            }
        }
    }

    func testEmptyAndAllZeroFilesHoldNoArchives() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/zero.img"
        try write([], to: path)
        XCTAssertEqual(try readImage(path).count, 0)
        try write([UInt8](repeating: 0, count: 4096), to: path)
        XCTAssertEqual(try readImage(path).count, 0)
    }

    func testCompressionIsDetectedFromMagicBytes() {
        XCTAssertEqual(Compression(magic: Array("070701".utf8)), .uncompressed)
        XCTAssertEqual(Compression(magic: Array("070702".utf8)), .uncompressed)
        XCTAssertNil(Compression(magic: Array("070707".utf8)))
        XCTAssertEqual(Compression(magic: [0x1f, 0x8b, 8]), .gzip)
        XCTAssertEqual(Compression(magic: Array("BZh9".utf8)), .bzip2)
        XCTAssertEqual(Compression(magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), .xz)
        XCTAssertEqual(Compression(magic: [0x02, 0x21, 0x4c, 0x18]), .lz4)
        XCTAssertEqual(Compression(magic: [0x28, 0xb5, 0x2f, 0xfd]), .zstd)
        XCTAssertEqual(Compression(magic: [0x89, 0x4c, 0x5a, 0x4f, 0x00]), .lzo)
        XCTAssertNil(Compression(magic: [0x00, 0x01]))
    }
}
