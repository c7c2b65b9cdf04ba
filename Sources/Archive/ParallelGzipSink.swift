import CZlib
import Support

/// Compresses into gzip format on several threads, the way pigz does, and passes the result on.
///
/// The input is cut into blocks of `blockSize` bytes. Each block becomes a piece of one raw
/// deflate stream, compressed by libdeflate and made joinable (see `DeflateBlockEncoder`); the
/// pieces are written in input order between a single gzip header and trailer, so the result is
/// one ordinary gzip member that `gzip -d` and the kernel's decompressor read like any other
/// (the kernel wants each gzip member to end a whole cpio archive, so there is only one).
/// Block boundaries depend only on the input, so the bytes are the same for any thread count.
/// A file's data between `beginSeparatePiece` and `endSeparatePiece` starts a block of its own
/// and is cut from its own start, so `AdvanceDeflation` may have compressed those blocks already.
/// The header has no name and a zero timestamp.
///
/// At most `2 × threadCount` blocks are in memory at once: a write waits for the oldest block
/// when that many are outstanding.
public final class ParallelGzipSink: ByteSink {
    /// 1 MiB, eight times pigz's 128 KiB: a block starts without the previous block's window
    /// (libdeflate takes no dictionary), and larger blocks make up for it. Measured at level 9 on
    /// the 32.7 MB base+bash image: 128 KiB 13.38 MB, 256 KiB 13.32, 512 KiB 13.29, 1 MiB 13.28,
    /// 2 MiB 13.27 (pigz -9: 13.44; CPU the same for all). Memory grows with it: at most
    /// `2 × threadCount` blocks of input and output are held (about 8 MiB on 2 cores).
    public static let defaultBlockSize = 1024 * 1024

    private let next: any ByteSink
    private let pool: BlockCompressionPool
    private let blockSize: Int
    private let maximumBlocksInFlight: Int
    private let header: [UInt8]
    private let advance: AdvanceDeflation?

    /// Input not yet handed to the pool; it is submitted only once more input arrives or at
    /// `finish()`, so that the last block is known when it is submitted.
    private var pendingBlock: [UInt8] = []
    /// Between `beginSeparatePiece` and `endSeparatePiece`: blocks `advance` may have made.
    private var isSeparate = false
    private var headerWritten = false
    private var trailer = GzipTrailer()
    private var state = State.open

    private enum State { case open, finished, failed }

    /// - Parameters:
    ///   - level: 0 (store) to 9 (smallest), as gzip's; dracut uses 9.
    ///   - threadCount: compressing threads, besides the caller's; by default one per processor.
    ///   - blockSize: input bytes per block; the output depends on it, not on `threadCount`.
    ///   - advance: files' blocks compressed ahead; used only with the same level and block size.
    public init(
        level: Int = 9, threadCount: Int = availableProcessorCount(), blockSize: Int = defaultBlockSize,
        advance: AdvanceDeflation? = nil, forwardingTo next: any ByteSink
    ) throws(ArchiveError) {
        guard (0...9).contains(level) else { throw setupError("level \(level) is not between 0 and 9") }
        guard (1...1024).contains(threadCount) else {
            throw setupError("thread count \(threadCount) is not between 1 and 1024")
        }
        guard (1...(64 << 20)).contains(blockSize) else {
            throw setupError("block size \(blockSize) is not between 1 byte and 64 MiB")
        }
        self.next = next
        self.blockSize = blockSize
        self.maximumBlocksInFlight = 2 * threadCount
        self.header = gzipHeader(level: level)
        self.advance = advance.flatMap { $0.level == level && $0.blockSize == blockSize ? $0 : nil }
        self.pool = try BlockCompressionPool(threadCount: threadCount, level: level)
        pendingBlock.reserveCapacity(blockSize)
    }

    deinit { pool.shutDown() }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try checkOpen()
        var offset = 0
        while offset < bytes.count {
            if pendingBlock.count == blockSize { try failing { try submitPendingBlock(isLast: false) } }
            let count = min(bytes.count - offset, blockSize - pendingBlock.count)
            pendingBlock.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]))
            offset += count
        }
    }

    public func beginSeparatePiece() throws { try endBlock(thenSeparate: true) }

    public func endSeparatePiece() throws { try endBlock(thenSeparate: false) }

    /// Submits what is pending as a block of its own, so the next block starts here.
    private func endBlock(thenSeparate separate: Bool) throws {
        try checkOpen()
        if !pendingBlock.isEmpty { try failing { try submitPendingBlock(isLast: false) } }
        isSeparate = separate
    }

    public func finish() throws {
        switch state {
        case .finished: return
        case .failed: throw ArchiveError.misuse("finish of a gzip stream that already failed")
        case .open: break
        }
        try failing {
            try submitPendingBlock(isLast: true)
            while let block = pool.nextBlock() { try emit(block) }
            try next.write(trailer.bytes)
        }
        state = .finished
        pool.shutDown()
        try next.finish()
    }

    private func checkOpen() throws(ArchiveError) {
        switch state {
        case .open: break
        case .finished: throw ArchiveError.misuse("write to a gzip stream after it was finished")
        case .failed: throw ArchiveError.misuse("write to a gzip stream that already failed")
        }
    }

    /// Runs `body`, and on an error stops the threads and refuses further use.
    private func failing(_ body: () throws -> Void) throws {
        do { try body() } catch {
            state = .failed
            pool.shutDown()
            throw error
        }
    }

    private func submitPendingBlock(isLast: Bool) throws {
        if !isLast, isSeparate, let advance, let block = pendingBlock.withUnsafeBytes({ advance.block(for: $0) }) {
            pool.submitFinished(block)
        } else {
            pool.submit(pendingBlock, isLast: isLast)
        }
        pendingBlock = []
        pendingBlock.reserveCapacity(blockSize)
        // Write out whatever is done already, then wait only if the queue is full.
        while let block = pool.nextBlockIfReady() { try emit(block) }
        while pool.blocksInFlight >= maximumBlocksInFlight, let block = pool.nextBlock() { try emit(block) }
    }

    private func emit(_ result: Result<DeflatedBlock, ArchiveError>) throws {
        let block = try result.get()
        if !headerWritten {
            try next.write(header)
            headerWritten = true
        }
        try next.write(block.compressed)
        trailer.append(crc: block.inputCRC, count: block.inputCount)
    }
}

private func setupError(_ message: String) -> ArchiveError {
    .compression(operation: "gzip setup", message: message)
}

/// The 10-byte gzip header as zlib's gzip wrapper (and so `GzipSink`) writes it: no name, no
/// timestamp, the extra-flags byte derived from the level, and the OS byte fixed to Unix.
func gzipHeader(level: Int) -> [UInt8] {
    let extraFlags: UInt8 = level == 9 ? 2 : (level < 2 ? 4 : 0)
    let unix: UInt8 = 3
    return [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, extraFlags, unix]
}

/// The gzip trailer: the CRC-32 of all input, joined from per-block CRCs, and its length mod 2³².
struct GzipTrailer {
    private(set) var crc: UInt32 = 0
    private(set) var length: UInt64 = 0

    mutating func append(crc blockCRC: UInt32, count: Int) {
        crc = UInt32(truncatingIfNeeded: crc32_combine(uLong(crc), uLong(blockCRC), off_t(count)))
        length += UInt64(count)
    }

    var bytes: [UInt8] {
        let size = UInt32(truncatingIfNeeded: length)
        return (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) }
            + (0..<4).map { UInt8(truncatingIfNeeded: size >> (8 * $0)) }
    }
}
