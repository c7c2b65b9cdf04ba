import CZlib

/// Decompresses gzip data read from an input buffer, stopping exactly where the compressed
/// stream ends so whatever follows (padding, another segment) stays unread.
///
/// Directly concatenated gzip members are decompressed as one stream, as `gzip -d` does.
final class GunzipSource: ByteSource {
    private let input: InputBuffer
    /// zlib keeps a pointer back to the stream, so it must not move: it lives on the heap.
    private let stream: UnsafeMutablePointer<z_stream>
    private var memberStart: UInt64
    private var ended = false

    init(input: InputBuffer) throws {
        self.input = input
        memberStart = input.position
        stream = try makeInflateStream(windowBits: 15 + 16)
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while !ended {
            guard try input.fill(atLeast: 1) else {
                throw ArchiveError.truncated(
                    what: "gzip data starting at byte \(memberStart)", location: input.location())
            }
            let available = input.available
            let next = available.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.next_in = UnsafeMutablePointer(mutating: next)
            stream.pointee.avail_in = uInt(min(available.count, Int(UInt32.max)))
            stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(min(buffer.count, Int(UInt32.max)))
            let status = inflate(stream, Z_NO_FLUSH)
            let consumed = available.count - Int(stream.pointee.avail_in)
            input.consume(consumed)
            let produced = buffer.count - Int(stream.pointee.avail_out)

            switch status {
            case Z_OK:
                break
            case Z_BUF_ERROR where consumed > 0 || produced > 0:
                break
            case Z_STREAM_END:
                try startNextMemberIfPresent()
            case Z_NEED_DICT, Z_DATA_ERROR:
                throw ArchiveError.corrupt(
                    what: "gzip data starting at byte \(memberStart): \(zlibMessage(status, stream.pointee.msg))",
                    location: input.location())
            default:
                throw ArchiveError.compression(
                    operation: "gzip decompression", message: zlibMessage(status, stream.pointee.msg))
            }
            if produced > 0 { return produced }
        }
        return 0
    }

    private func startNextMemberIfPresent() throws {
        guard try input.peek(2) == gzipMagic else {
            ended = true
            return
        }
        memberStart = input.position
        inflateReset(stream)
    }
}

let gzipMagic: [UInt8] = [0x1f, 0x8b]
