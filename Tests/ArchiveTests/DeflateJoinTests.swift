import CZlib
import XCTest
@testable import Archive

/// The joint between libdeflate's complete streams: finding the final block and its unused bits
/// (`DeflateStreamScanner`), clearing the mark and aligning (`DeflateStreamEnd.makeJoinable`).
final class DeflateJoinTests: XCTestCase {
    /// A raw deflate stream written bit by bit with fixed Huffman codes, so every bit position
    /// is known: literals 0-143 take 8 bits, 144-255 take 9, end-of-block 7.
    private struct FixedHuffmanStream {
        var bytes: [UInt8] = []
        var bitCount = 0
        /// Where the last block begun so far starts, as (byte, bit).
        var lastBlockStart = (byte: 0, bit: 0)

        var unusedBits: Int { (8 - bitCount % 8) % 8 }

        mutating func block(_ literals: [UInt8], isFinal: Bool) {
            lastBlockStart = (bitCount / 8, bitCount % 8)
            bits(isFinal ? 1 : 0, count: 1)
            bits(1, count: 2)  // BTYPE 01: fixed Huffman codes.
            for literal in literals {
                if literal < 144 {
                    code(0x30 + UInt32(literal), length: 8)
                } else {
                    code(0x190 + UInt32(literal) - 144, length: 9)
                }
            }
            code(0, length: 7)  // end of block (256).
        }

        /// Values go in least significant bit first.
        mutating func bits(_ value: UInt32, count: Int) {
            for index in 0..<count {
                if bitCount % 8 == 0 { bytes.append(0) }
                if (value >> index) & 1 == 1 { bytes[bytes.count - 1] |= UInt8(1 << (bitCount % 8)) }
                bitCount += 1
            }
        }

        /// Huffman codes go in most significant bit first.
        mutating func code(_ value: UInt32, length: Int) {
            for index in stride(from: length - 1, through: 0, by: -1) { bits((value >> index) & 1, count: 1) }
        }
    }

    /// A two-block stream whose final block holds `nineBitLiterals` literals of 9 bits: the
    /// stream is 10 + 8k + 10 + 9m bits long, so m picks the unused bits of its last byte.
    private func craftedStream(nineBitLiterals: Int, prefix: [UInt8]) -> (FixedHuffmanStream, [UInt8]) {
        var stream = FixedHuffmanStream()
        stream.block(prefix, isFinal: false)
        let tail = [UInt8](repeating: 200, count: nineBitLiterals) + [UInt8(ascii: "z")]
        stream.block(tail, isFinal: true)
        return (stream, prefix + tail)
    }

    func testCraftedStreamsWithEveryUnusedBitCountJoin() throws {
        let scanner = try DeflateStreamScanner()
        var seen = Set<Int>()
        for nineBitLiterals in 0..<16 {
            for prefix in [[], Array("abc".utf8), Array("kindling".utf8)] {
                var (stream, text) = craftedStream(nineBitLiterals: nineBitLiterals, prefix: prefix)
                let end = try stream.bytes.withUnsafeBytes { try scanner.locateEnd(of: $0) }
                XCTAssertEqual(
                    end,
                    DeflateStreamEnd(
                        finalBlockByte: stream.lastBlockStart.byte, finalBlockBit: stream.lastBlockStart.bit,
                        unusedBits: stream.unusedBits), "m \(nineBitLiterals), prefix \(prefix.count)")
                seen.insert(end.unusedBits)
                let before = stream.bytes.count
                try end.makeJoinable(&stream.bytes)
                // 3 or more unused bits hold the stored block's header; fewer need a byte more.
                XCTAssertEqual(stream.bytes.count - before, end.unusedBits >= 3 ? 4 : 5)
                XCTAssertEqual(Array(stream.bytes.suffix(4)), [0, 0, 0xFF, 0xFF])

                var (next, nextText) = craftedStream(nineBitLiterals: 3, prefix: Array("next".utf8))
                next.bytes = stream.bytes + next.bytes
                XCTAssertEqual(try inflateRaw(next.bytes), text + nextText, "m \(nineBitLiterals)")
            }
        }
        XCTAssertEqual(seen, Set(0...7))
    }

    /// The brief's crafted cases by name: the last byte with 0, 1, 2, 3 and 7 unused bits.
    func testNamedUnusedBitCounts() throws {
        let scanner = try DeflateStreamScanner()
        // With the prefix "a", 36 + 9m bits: the last byte uses (4 + m) mod 8 of its bits.
        for (unused, nineBitLiterals) in [(0, 4), (1, 3), (2, 2), (3, 1), (7, 5)] {
            var (stream, text) = craftedStream(nineBitLiterals: nineBitLiterals, prefix: [UInt8(ascii: "a")])
            XCTAssertEqual(stream.unusedBits, unused, "the crafted stream itself")
            let end = try stream.bytes.withUnsafeBytes { try scanner.locateEnd(of: $0) }
            XCTAssertEqual(end.unusedBits, unused)
            XCTAssertEqual(end.finalBlockByte, 2)
            XCTAssertEqual(end.finalBlockBit, 2)  // after 3 + 8 + 7 = 18 bits.
            try end.makeJoinable(&stream.bytes)
            XCTAssertEqual(stream.bytes[2] & 0b100, 0, "final mark cleared")
            XCTAssertEqual(try inflateRaw(stream.bytes + [0x03, 0x00]), text, "then an empty final block")
        }
    }

    func testPaddingBitsAreClearedBeforeTheStoredHeaderGoesThere() throws {
        let scanner = try DeflateStreamScanner()
        var (stream, text) = craftedStream(nineBitLiterals: 1, prefix: [])
        XCTAssertGreaterThanOrEqual(stream.unusedBits, 3)
        // Decoders ignore the padding after a final block, so an encoder may leave ones there.
        stream.bytes[stream.bytes.count - 1] |= UInt8(0xFF << (8 - stream.unusedBits) & 0xFF)
        let end = try stream.bytes.withUnsafeBytes { try scanner.locateEnd(of: $0) }
        try end.makeJoinable(&stream.bytes)
        XCTAssertEqual(try inflateRaw(stream.bytes + [0x03, 0x00]), text)
    }

    func testScannerRejectsTruncatedAndTrailingData() throws {
        let scanner = try DeflateStreamScanner()
        let (stream, _) = craftedStream(nineBitLiterals: 2, prefix: Array("abc".utf8))
        let truncated = Array(stream.bytes.dropLast(2))
        XCTAssertThrowsError(try truncated.withUnsafeBytes { try scanner.locateEnd(of: $0) }) { error in
            XCTAssertTrue("\(error)".contains("joining deflate blocks"), "\(error)")
        }
        let trailing = stream.bytes + [0]
        XCTAssertThrowsError(try trailing.withUnsafeBytes { try scanner.locateEnd(of: $0) }) { error in
            XCTAssertTrue("\(error)".contains("1 bytes follow"), "\(error)")
        }
        XCTAssertThrowsError(try [UInt8]().withUnsafeBytes { try scanner.locateEnd(of: $0) })
        // The scanner is reusable after a failure.
        XCTAssertNoThrow(try stream.bytes.withUnsafeBytes { try scanner.locateEnd(of: $0) })
    }

    func testJoinableRefusesAPlaceWithoutTheFinalMark() {
        var bytes: [UInt8] = [0x02, 0x00]
        let end = DeflateStreamEnd(finalBlockByte: 0, finalBlockBit: 0, unusedBits: 6)
        XCTAssertThrowsError(try end.makeJoinable(&bytes))
    }

    /// Real libdeflate output, every level: each piece made joinable and the pieces concatenated
    /// with a final one inflate to the input, whatever the last byte's unused bits were.
    func testLibdeflatePiecesJoinAtEveryLevel() throws {
        var seen = Set<Int>()
        for level in 0...9 {
            let encoder = try DeflateBlockEncoder(level: level)
            let scanner = try DeflateStreamScanner()
            for seed in 0..<40 {
                let pieces = (0..<3).map { index in
                    let size = (seed * 997 + index * 4099) % 20_000
                    return seed % 2 == 0 ? pseudoRandomBytes(size, seed: UInt64(seed * 3 + index)) : textPiece(size)
                }
                var joined: [UInt8] = []
                for (index, piece) in pieces.enumerated() {
                    let isLast = index == pieces.count - 1
                    if !isLast {
                        let whole = try encoder.encode(piece, isLast: true).compressed
                        seen.insert(try whole.withUnsafeBytes { try scanner.locateEnd(of: $0) }.unusedBits)
                    }
                    joined += try encoder.encode(piece, isLast: isLast).compressed
                }
                XCTAssertTrue(try inflateRaw(joined) == Array(pieces.joined()), "level \(level), seed \(seed)")
            }
        }
        XCTAssertEqual(seen, Set(0...7), "libdeflate's streams end with every unused bit count")
    }

    func testEncoderRejectsLevelsLibdeflateLacks() {
        XCTAssertThrowsError(try DeflateBlockEncoder(level: 13))
        XCTAssertThrowsError(try DeflateBlockEncoder(level: -1))
    }

    private func textPiece(_ count: Int) -> [UInt8] {
        Array(String(repeating: "usr/lib/modules/kernel/drivers/", count: count / 31 + 1).utf8.prefix(count))
    }
}

/// Raw deflate (no wrapper) inflated by zlib; throws unless it is one complete stream.
func inflateRaw(_ compressed: [UInt8]) throws -> [UInt8] {
    var stream = z_stream()
    guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
        throw ArchiveError.misuse("inflateInit2")
    }
    defer { inflateEnd(&stream) }
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    var input = compressed
    let status: Int32 = input.withUnsafeMutableBufferPointer { source in
        stream.next_in = source.baseAddress
        stream.avail_in = uInt(source.count)
        while true {
            let (status, produced) = chunk.withUnsafeMutableBufferPointer { buffer in
                stream.next_out = buffer.baseAddress
                stream.avail_out = uInt(buffer.count)
                let status = inflate(&stream, Z_NO_FLUSH)
                return (status, buffer.count - Int(stream.avail_out))
            }
            output += chunk[0..<produced]
            if status != Z_OK { return status }
        }
    }
    guard status == Z_STREAM_END, stream.avail_in == 0 else {
        throw ArchiveError.misuse("raw inflate ended with status \(status), \(stream.avail_in) bytes left")
    }
    return output
}
