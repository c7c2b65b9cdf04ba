import CLibdeflate
import CZlib

/// One block of input compressed as a piece of a raw deflate stream, with what the gzip trailer
/// needs to know about its input.
struct DeflatedBlock: Sendable {
    var compressed: [UInt8]
    var inputCRC: UInt32
    var inputCount: Int
}

/// Compresses independent blocks that concatenate into one raw deflate stream.
///
/// libdeflate compresses a whole buffer at once (about five times faster than zlib at level 9,
/// and smaller), but only into a complete stream: its last deflate block is marked final, and it
/// has neither a preset dictionary nor a sync flush. So each block is compressed on its own, and
/// every block but the last is then made joinable (`DeflateStreamEnd.makeJoinable`): its final
/// mark cleared and an empty stored block appended, which ends it on a byte boundary as zlib's
/// sync flush would. Blocks are larger than pigz's to make up for the missing dictionary. The
/// output depends only on the block's input and the level, never on which thread ran it: that
/// is what makes the parallel output reproducible.
final class DeflateBlockEncoder {
    private let compressor: OpaquePointer
    private let scanner: DeflateStreamScanner

    /// - Parameter level: libdeflate's level, 0 (store) to 12; gzip's 1 to 9 mean the same there.
    init(level: Int) throws(ArchiveError) {
        guard let compressor = libdeflate_alloc_compressor(Int32(level)) else {
            throw ArchiveError.compression(
                operation: "gzip setup", message: "libdeflate has no compressor for level \(level) (or no memory)")
        }
        self.compressor = compressor
        do { scanner = try DeflateStreamScanner() } catch {
            libdeflate_free_compressor(compressor)
            throw error
        }
    }

    deinit { libdeflate_free_compressor(compressor) }

    /// - Parameter isLast: keeps the stream's end; otherwise the piece is made joinable.
    func encode(_ input: [UInt8], isLast: Bool) throws(ArchiveError) -> DeflatedBlock {
        let bound = libdeflate_deflate_compress_bound(compressor, input.count)
        // Room for the empty stored block a joinable piece gains (at most 5 bytes). The capacity
        // is about the input's size, but pages libdeflate does not write are never touched, so a
        // block waiting to be written holds only what it uses (a copy at its size measured larger).
        var compressed = [UInt8](unsafeUninitializedCapacity: bound + 8) { buffer, count in
            count = input.withUnsafeBytes { source in
                // libdeflate wants a pointer even for no input.
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { placeholder in
                    libdeflate_deflate_compress(
                        compressor, source.baseAddress ?? UnsafeRawPointer(placeholder.baseAddress!), source.count,
                        buffer.baseAddress, bound)
                }
            }
        }
        // The bound is what libdeflate promises never to exceed, so 0 ("did not fit") is a bug.
        guard !compressed.isEmpty else {
            throw ArchiveError.compression(
                operation: "gzip compression", message: "libdeflate output exceeded its own bound of \(bound) bytes")
        }
        if !isLast {
            let end = compressed.withUnsafeBytes { bytes in Result { () throws(ArchiveError) in try scanner.locateEnd(of: bytes) } }
            try end.get().makeJoinable(&compressed)
        }
        let inputCRC = input.withUnsafeBytes { UInt32(libdeflate_crc32(0, $0.baseAddress, $0.count)) }
        return DeflatedBlock(compressed: compressed, inputCRC: inputCRC, inputCount: input.count)
    }
}
