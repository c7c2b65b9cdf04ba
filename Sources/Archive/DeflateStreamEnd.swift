import CZlib

/// Where a complete raw deflate stream's final block starts, and how it ends: what it takes to
/// let another stream follow it as part of one stream.
///
/// A deflate stream is a sequence of blocks, each with a 3-bit header whose first bit (BFINAL)
/// says whether it is the last. Bits fill each byte from its least significant end, so a
/// header can start anywhere in a byte, and the stream usually ends inside a byte.
struct DeflateStreamEnd: Equatable {
    /// The byte, and the bit in it (0 = least significant), of the final block's BFINAL bit.
    var finalBlockByte: Int
    var finalBlockBit: Int
    /// Bits of the last byte after the final block's end-of-block code (0...7).
    var unusedBits: Int

    /// Turns the complete stream `bytes` into a piece that another stream may follow.
    ///
    /// Clears the final mark, so that decoding goes on after the block, then appends an empty
    /// stored block (header bits 000, padding to the byte, then length 0 and its complement,
    /// 00 00 FF FF). The stored block ends on a byte boundary, so the next piece's first block
    /// header starts at bit 0 of its first byte, exactly where its own encoder put it. When the
    /// last byte has 3 or more unused bits, the stored block's header fits into them.
    func makeJoinable(_ bytes: inout [UInt8]) throws(ArchiveError) {
        guard finalBlockByte < bytes.count, (1 << finalBlockBit) & bytes[finalBlockByte] != 0 else {
            throw ArchiveError.compression(
                operation: "gzip compression", message: "deflate stream has no final block mark where it was found")
        }
        bytes[finalBlockByte] &= ~UInt8(1 << finalBlockBit)
        // The unused bits become the stored block's header and padding: they must be zeros.
        bytes[bytes.count - 1] &= UInt8(0xFF >> unusedBits)
        if unusedBits < 3 { bytes.append(0) }
        bytes += [0x00, 0x00, 0xFF, 0xFF]
    }
}

/// Finds `DeflateStreamEnd` by decoding the stream with zlib, block by block.
///
/// zlib's inflate with Z_BLOCK returns at every block boundary and reports, in `data_type`, the
/// unused bits of the last byte it took (+64 once the final block has begun, +128 at a block
/// boundary): enough to know where each block header starts without parsing deflate here.
final class DeflateStreamScanner {
    /// zlib keeps a pointer back to the stream, so it must not move: it lives on the heap.
    private let stream: UnsafeMutablePointer<z_stream>
    /// The decoded data is not needed, only decoded: it goes here and is overwritten.
    private var scratch = [UInt8](repeating: 0, count: 64 * 1024)

    init() throws(ArchiveError) {
        // Raw deflate: no zlib or gzip wrapper.
        stream = try makeInflateStream(windowBits: -15)
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// - Throws: when `bytes` is not exactly one complete raw deflate stream.
    func locateEnd(of bytes: UnsafeRawBufferPointer) throws(ArchiveError) -> DeflateStreamEnd {
        guard inflateReset(stream) == Z_OK else { throw failure("inflate cannot be reset") }
        defer { stream.pointee.next_in = nil }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(bytes.count)
        // The first block's header is the stream's first bit.
        var header = (byte: 0, bit: 0)
        while true {
            let status = scratch.withUnsafeMutableBufferPointer { output in
                stream.pointee.next_out = output.baseAddress
                stream.pointee.avail_out = uInt(output.count)
                return inflate(stream, Z_BLOCK)
            }
            guard status == Z_OK else {
                if status == Z_BUF_ERROR { throw failure("deflate stream ends before its final block") }
                throw failure(zlibMessage(status, stream.pointee.msg))
            }
            let state = Int(stream.pointee.data_type)
            guard state & 128 != 0 else { continue }
            let consumed = bytes.count - Int(stream.pointee.avail_in)
            let unusedBits = state & 7
            if state & 64 != 0 {
                guard consumed == bytes.count else {
                    throw failure("\(bytes.count - consumed) bytes follow the deflate stream's end")
                }
                return DeflateStreamEnd(finalBlockByte: header.byte, finalBlockBit: header.bit, unusedBits: unusedBits)
            }
            // The next block's header starts right after the bits used so far.
            header = unusedBits == 0 ? (consumed, 0) : (consumed - 1, 8 - unusedBits)
        }
    }

    private func failure(_ message: String) -> ArchiveError {
        .compression(operation: "gzip compression", message: "joining deflate blocks: \(message)")
    }
}
