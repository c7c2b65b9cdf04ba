import XCTest
@testable import Archive

final class AdvanceDeflationTests: XCTestCase {
    private let large = CpioWriter.separateFileSize

    /// A tree with files below, at and above the separate-piece size; the largest spans blocks.
    private func makeTree(in directory: TemporaryDirectory) throws -> [ArchiveEntry] {
        let sizes = ["small": 1000, "threshold": large, "below": large - 1, "several": 3 * ParallelGzipSink.defaultBlockSize + 5, "odd": 200_003]
        var entries = [ArchiveEntry(path: ".", kind: .directory, mode: 0o755)]
        for (index, (name, size)) in sizes.sorted(by: { $0.key < $1.key }).enumerated() {
            let text = Array(String(repeating: "\(name) line \(index) of a staged file\n", count: size / 20 + 1).utf8)
            let bytes = Array((text.prefix(size / 2) + pseudoRandomBytes(size - size / 2, seed: UInt64(index + 1))))
            try writeFile(directory.raw(name), bytes)
            entries.append(ArchiveEntry(path: RawPath(name), kind: .regularFile(.source(directory.raw(name))), mode: 0o644))
        }
        return entries
    }

    private func gzipArchive(_ entries: [ArchiveEntry], threads: Int = 2, advance: AdvanceDeflation? = nil) throws -> [UInt8] {
        let memory = MemorySink()
        let gzip = try ParallelGzipSink(level: 9, threadCount: threads, advance: advance, forwardingTo: memory)
        try CpioWriter(sink: gzip).writeArchive(entries)
        try gzip.finish()
        return memory.bytes
    }

    private func plainArchive(_ entries: [ArchiveEntry]) throws -> [UInt8] {
        let memory = MemorySink()
        try CpioWriter(sink: memory).writeArchive(entries)
        return memory.bytes
    }

    private func prepared(_ entries: [ArchiveEntry], level: Int = 9) throws -> AdvanceDeflation {
        let advance = try AdvanceDeflation(level: level)
        for case .regularFile(.source(let source)) in entries.map(\.kind) {
            advance.prepare(source.description, copyOf: source.description)
        }
        advance.waitUntilIdle()
        return advance
    }

    func testLargeFilesAreSeparatePiecesWhateverTheThreadCount() throws {
        let directory = try TemporaryDirectory()
        let entries = try makeTree(in: directory)
        let single = try gzipArchive(entries, threads: 1)
        XCTAssertEqual(try gzipArchive(entries, threads: 3), single)
        let unpacked = try runTool("/usr/bin/gzip", ["-dc"], input: single)
        XCTAssertEqual(unpacked.status, 0, unpacked.errorText)
        XCTAssertTrue(unpacked.output == (try plainArchive(entries)))
    }

    func testBlocksCompressedAheadAreUsedAndChangeNoByte() throws {
        let directory = try TemporaryDirectory()
        let entries = try makeTree(in: directory)
        let advance = try prepared(entries)
        XCTAssertEqual(try gzipArchive(entries, advance: advance), try gzipArchive(entries))
        // threshold 1 block, several 4, odd 1; "below" and "small" are written with the rest.
        XCTAssertEqual(advance.lookups.found, 6)
        XCTAssertEqual(advance.lookups.missed, 0)
    }

    func testAFileChangedAfterwardsIsCompressedAgain() throws {
        let directory = try TemporaryDirectory()
        let entries = try makeTree(in: directory)
        let advance = try prepared(entries)
        // Same size, other bytes: only the content tells.
        var bytes = try readFile(directory.raw("odd"))
        bytes[100_000] ^= 0xFF
        try writeFile(directory.raw("odd"), bytes)
        let written = try gzipArchive(entries, advance: advance)
        XCTAssertEqual(written, try gzipArchive(entries))
        XCTAssertEqual(advance.lookups.found, 5)
        XCTAssertEqual(advance.lookups.missed, 1)
        let unpacked = try runTool("/usr/bin/gzip", ["-dc"], input: written)
        XCTAssertTrue(unpacked.output == (try plainArchive(entries)))
    }

    func testBlocksOfAnotherLevelAreNotUsed() throws {
        let directory = try TemporaryDirectory()
        let entries = try makeTree(in: directory)
        let advance = try prepared(entries, level: 6)
        XCTAssertEqual(try gzipArchive(entries, advance: advance), try gzipArchive(entries))
        XCTAssertEqual(advance.lookups.found + advance.lookups.missed, 0)
    }

    func testFilesNamedLaterAreCompressedOnTheThreadOnce() throws {
        let directory = try TemporaryDirectory()
        let entries = try makeTree(in: directory)
        let advance = try AdvanceDeflation(level: 9)
        let several = directory.raw("several").description
        advance.prepareLater { [several] in [several, several] }
        advance.prepare(several, copyOf: several)
        advance.waitUntilIdle()
        XCTAssertEqual(try gzipArchive(entries, advance: advance), try gzipArchive(entries))
        XCTAssertEqual(advance.lookups.found, 4)
        XCTAssertEqual(advance.lookups.missed, 2)
    }

    func testStoppedPreparationLeavesTheWriterToDoItAll() throws {
        let directory = try TemporaryDirectory()
        let entries = try makeTree(in: directory)
        let advance = try AdvanceDeflation(level: 9)
        advance.stopPreparing()
        advance.prepare(directory.raw("odd").description, copyOf: "odd")
        XCTAssertEqual(try gzipArchive(entries, advance: advance), try gzipArchive(entries))
        XCTAssertEqual(advance.lookups.found, 0)
        advance.shutDown()
    }

    func testGuessesAreUsedAndNotReadAgainForCertain() throws {
        let directory = try TemporaryDirectory()
        let entries = try makeTree(in: directory)
        let advance = try AdvanceDeflation(level: 9)
        let several = directory.raw("several").description, odd = directory.raw("odd").description
        advance.guess(several)
        advance.guessLater { [odd] in [odd] }
        advance.waitUntilIdle()
        // The staged copy changed after the guess: the certain request for the same original is
        // not read again, so the writer compresses the new bytes itself.
        var bytes = try readFile(directory.raw("several"))
        bytes[10] ^= 0xFF
        try writeFile(directory.raw("several"), bytes)
        advance.prepare(several, copyOf: several)
        advance.waitUntilIdle()
        XCTAssertEqual(try gzipArchive(entries, advance: advance), try gzipArchive(entries))
        // odd's block; several's first block changed, its other three did not.
        XCTAssertEqual(advance.lookups.found, 4)
        XCTAssertEqual(advance.lookups.missed, 2)
    }

    func testGuessesStopAtTheirShare() throws {
        let directory = try TemporaryDirectory()
        let entries = try makeTree(in: directory)
        let advance = try AdvanceDeflation(level: 9, guessLimit: 1)
        advance.guess(directory.raw("several").description)
        advance.guess(directory.raw("odd").description)
        advance.prepare(directory.raw("threshold").description, copyOf: "threshold")
        advance.waitUntilIdle()
        XCTAssertEqual(try gzipArchive(entries, advance: advance), try gzipArchive(entries))
        // threshold (certain) and the first guess; the second guess was over the share.
        XCTAssertEqual(advance.lookups.found, 5)
    }

    func testOnlyLargeFilesAreMarkedAsSeparatePieces() throws {
        let directory = try TemporaryDirectory()
        let entries = try makeTree(in: directory)
        let recorder = PieceRecorder()
        try CpioWriter(sink: recorder).writeArchive(entries)
        XCTAssertEqual(recorder.pieces, [200_003, 3 * ParallelGzipSink.defaultBlockSize + 5, large])
    }
}

/// Records the length of each separate piece.
private final class PieceRecorder: ByteSink {
    private(set) var pieces: [Int] = []
    private var current: Int?

    func write(_ bytes: UnsafeRawBufferPointer) throws { current? += bytes.count }
    func finish() throws {}
    func beginSeparatePiece() throws {
        XCTAssertNil(current)
        current = 0
    }
    func endSeparatePiece() throws {
        pieces.append(try XCTUnwrap(current))
        current = nil
    }
}
