import CZlib

/// One block of input compressed as a piece of a raw deflate stream, with what the gzip trailer
/// needs to know about its input.
struct DeflatedBlock: Sendable {
    var compressed: [UInt8]
    var inputCRC: UInt32
    var inputCount: Int
}

/// Compresses independent blocks that concatenate into one raw deflate stream, as pigz does.
///
/// Each block is primed with the input that precedes it, so matches can reach back across the
/// block boundary and the ratio stays that of a single stream. A block ends with a sync flush,
/// which byte-aligns it so the next block's bytes can simply follow; only the last block
/// finishes the stream. The output depends only on the block's input, its dictionary and the
/// level, never on which thread ran it: that is what makes the parallel output reproducible.
final class DeflateBlockEncoder {
    /// deflate's window: the most history a match can use, so the most worth priming with.
    static let dictionarySize = 32 * 1024

    /// zlib keeps a pointer back to the stream, so it must not move: it lives on the heap.
    private let stream: UnsafeMutablePointer<z_stream>
    private var scratch = [UInt8](repeating: 0, count: 64 * 1024)

    init(level: Int) throws(ArchiveError) {
        // Negative windowBits asks for raw deflate: the gzip framing is written by the caller.
        stream = try makeDeflateStream(level: level, windowBits: -15)
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// - Parameters:
    ///   - dictionary: up to `dictionarySize` bytes of the input just before `input`.
    ///   - isLast: ends the deflate stream instead of only flushing to a byte boundary.
    func encode(_ input: [UInt8], dictionary: [UInt8], isLast: Bool) throws(ArchiveError) -> DeflatedBlock {
        // A reset stream behaves exactly like a new one, so reusing it keeps the output reproducible.
        try check(deflateReset(stream))
        if !dictionary.isEmpty {
            let status = dictionary.withUnsafeBufferPointer {
                deflateSetDictionary(stream, $0.baseAddress, uInt($0.count))
            }
            try check(status)
        }
        var compressed: [UInt8] = []
        compressed.reserveCapacity(input.count / 2 + 64)
        let inputCRC = try input.withUnsafeBufferPointer { (buffer) throws(ArchiveError) -> UInt32 in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: buffer.baseAddress)
            stream.pointee.avail_in = uInt(buffer.count)
            try deflateAll(flush: isLast ? Z_FINISH : Z_SYNC_FLUSH, into: &compressed)
            stream.pointee.next_in = nil
            return UInt32(truncatingIfNeeded: crc32(0, buffer.baseAddress, uInt(buffer.count)))
        }
        return DeflatedBlock(compressed: compressed, inputCRC: inputCRC, inputCount: input.count)
    }

    /// Runs deflate until it has consumed all input and emitted everything `flush` asks for.
    private func deflateAll(flush: Int32, into compressed: inout [UInt8]) throws(ArchiveError) {
        var done = false
        while !done {
            let (status, produced) = scratch.withUnsafeMutableBufferPointer { buffer in
                stream.pointee.next_out = buffer.baseAddress
                stream.pointee.avail_out = uInt(buffer.count)
                let status = deflate(stream, flush)
                return (status, buffer.count - Int(stream.pointee.avail_out))
            }
            // Z_BUF_ERROR only means there was nothing left to do on this call.
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else { throw failure(status) }
            compressed.append(contentsOf: scratch[0..<produced])
            // Spare output room means deflate has flushed everything; a finish is done at Z_STREAM_END.
            done = flush == Z_FINISH ? status == Z_STREAM_END : stream.pointee.avail_out > 0 || status == Z_BUF_ERROR
            if flush == Z_FINISH && status == Z_BUF_ERROR {
                throw ArchiveError.compression(operation: "gzip compression", message: "stream cannot be finished")
            }
        }
    }

    private func check(_ status: Int32) throws(ArchiveError) {
        guard status == Z_OK else { throw failure(status) }
    }

    private func failure(_ status: Int32) -> ArchiveError {
        .compression(operation: "gzip compression", message: zlibMessage(status, stream.pointee.msg))
    }
}

/// A deflate stream on the heap (zlib keeps a pointer back to it, so it must not move).
/// windowBits 15 + 16 gives a gzip wrapper, -15 raw deflate.
func makeDeflateStream(level: Int, windowBits: Int32) throws(ArchiveError) -> UnsafeMutablePointer<z_stream> {
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    let status = deflateInit2_(
        stream, Int32(level), Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY,
        zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    guard status == Z_OK else {
        stream.deallocate()
        throw ArchiveError.compression(operation: "gzip setup", message: zlibMessage(status, nil))
    }
    return stream
}
