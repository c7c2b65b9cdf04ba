import CZlib

/// Compresses into gzip format and passes the result on.
///
/// The gzip header carries no file name and a zero timestamp, so the same input always gives the
/// same output.
public final class GzipSink: ByteSink {
    private let next: any ByteSink
    /// zlib keeps a pointer back to the stream, so it must not move: it lives on the heap.
    private let stream: UnsafeMutablePointer<z_stream>
    private var output: [UInt8]
    private var finished = false

    /// - Parameter level: 0 (store) to 9 (smallest); dracut uses 9.
    public init(level: Int = 9, forwardingTo next: any ByteSink, outputChunkSize: Int = 128 * 1024) throws {
        guard (0...9).contains(level) else {
            throw ArchiveError.compression(operation: "gzip setup", message: "level \(level) is not between 0 and 9")
        }
        self.next = next
        self.output = [UInt8](repeating: 0, count: max(64, outputChunkSize))
        // windowBits 15 + 16 asks zlib for a gzip wrapper instead of a zlib one.
        stream = try makeDeflateStream(level: level, windowBits: 15 + 16)
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !finished else { throw ArchiveError.misuse("write to a gzip stream after it was finished") }
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        // zlib's avail_in is 32-bit; feed very large buffers in pieces.
        var offset = 0
        while offset < bytes.count {
            let count = min(bytes.count - offset, Int(UInt32.max))
            stream.pointee.next_in = UnsafeMutablePointer(mutating: (base + offset).assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(count)
            while stream.pointee.avail_in > 0 {
                try deflateOnce(flush: Z_NO_FLUSH)
            }
            offset += count
        }
    }

    public func finish() throws {
        guard !finished else { return }
        finished = true
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        while true {
            let status = try deflateOnce(flush: Z_FINISH)
            if status == Z_STREAM_END { break }
            // With output space available, finishing can always progress; anything else is a bug in zlib's state.
            if status == Z_BUF_ERROR {
                throw ArchiveError.compression(operation: "gzip compression", message: "stream cannot be finished")
            }
        }
        try next.finish()
    }

    /// Runs deflate into the output buffer and forwards what it produced.
    @discardableResult
    private func deflateOnce(flush: Int32) throws -> Int32 {
        let produced: Int
        let status: Int32
        (status, produced) = output.withUnsafeMutableBytes { buffer in
            stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(buffer.count)
            let status = deflate(stream, flush)
            return (status, buffer.count - Int(stream.pointee.avail_out))
        }
        // Z_BUF_ERROR only means no progress was possible this round, which is not fatal.
        guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
            throw ArchiveError.compression(
                operation: "gzip compression", message: zlibMessage(status, stream.pointee.msg))
        }
        if produced > 0 {
            try output.withUnsafeBytes { try next.write(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) }
        }
        return status
    }
}

/// zlib's own message when it gave one, otherwise a name for the status code.
func zlibMessage(_ status: Int32, _ message: UnsafePointer<CChar>?) -> String {
    if let message { return String(cString: message) }
    switch status {
    case Z_STREAM_ERROR: return "invalid parameter"
    case Z_DATA_ERROR: return "invalid or corrupt data"
    case Z_MEM_ERROR: return "out of memory"
    case Z_BUF_ERROR: return "no progress possible"
    case Z_VERSION_ERROR: return "incompatible zlib version"
    default: return "zlib status \(status)"
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

/// An inflate stream on the heap, like makeDeflateStream's: windowBits 15 + 16 accepts only a
/// gzip wrapper, -15 raw deflate.
func makeInflateStream(windowBits: Int32) throws(ArchiveError) -> UnsafeMutablePointer<z_stream> {
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    let status = inflateInit2_(stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    guard status == Z_OK else {
        stream.deallocate()
        throw ArchiveError.compression(operation: "gzip setup", message: zlibMessage(status, nil))
    }
    return stream
}
