#if canImport(Glibc)
import Glibc
#endif

/// Where a stream of bytes comes from: a file, a pipe, a decompressor.
public protocol ByteSource: AnyObject {
    /// Reads up to `buffer.count` bytes; returns 0 only at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Reads from a file descriptor.
public final class FileSource: ByteSource {
    private var fileDescriptor: Int32
    private let ownsDescriptor: Bool
    /// Names the source in error messages.
    public let name: String

    /// Reads from a descriptor the caller opened and will close.
    public init(fileDescriptor: Int32, name: String) {
        self.fileDescriptor = fileDescriptor
        self.ownsDescriptor = false
        self.name = name
    }

    /// Opens `path` for reading; the descriptor is closed when the source goes away.
    public init(path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ArchiveError.systemError("open", path) }
        self.fileDescriptor = descriptor
        self.ownsDescriptor = true
        self.name = path
    }

    deinit {
        if ownsDescriptor { close(fileDescriptor) }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let count = Glibc.read(fileDescriptor, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno != EINTR { throw ArchiveError.systemError("read", name) }
        }
    }
}

/// Reads from a byte array; for archives built in memory and tests.
public final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, bytes.count - offset)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }
}

/// A read-ahead buffer over a source that parsers can look into before consuming, and that
/// remembers how many bytes were consumed (for error messages and segment offsets).
final class InputBuffer: ByteSource {
    private let source: any ByteSource
    /// Names the stream in error messages, e.g. "'initrd.img'" or "the gzip data at byte 512 of 'initrd.img'".
    let streamName: String
    private let storage: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var sourceEnded = false
    /// Bytes consumed since the buffer was created.
    private(set) var position: UInt64 = 0

    init(_ source: any ByteSource, streamName: String, capacity: Int = 256 * 1024) {
        self.source = source
        self.streamName = streamName
        storage = .allocate(byteCount: max(capacity, 4096), alignment: 16)
    }

    deinit { storage.deallocate() }

    /// The bytes read ahead but not yet consumed.
    var available: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage[start..<end])
    }

    /// Reads ahead until at least `count` bytes are available (at most the capacity).
    /// Returns false when the stream ends first.
    @discardableResult
    func fill(atLeast count: Int) throws -> Bool {
        precondition(count <= storage.count)
        while end - start < count {
            if sourceEnded { return false }
            if end == storage.count {
                // Slide the unconsumed bytes to the front to make room.
                let pending = end - start
                if pending > 0 {
                    storage.baseAddress!.copyMemory(from: storage.baseAddress! + start, byteCount: pending)
                }
                start = 0
                end = pending
            }
            let count = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: storage[end...]))
            if count == 0 { sourceEnded = true } else { end += count }
        }
        return true
    }

    /// Where the stream is, for error messages: "byte N of NAME".
    func location(_ offset: UInt64? = nil) -> String {
        "byte \(offset ?? position) of \(streamName)"
    }

    func consume(_ count: Int) {
        precondition(count <= end - start)
        start += count
        position += UInt64(count)
    }

    /// True when nothing is left to read.
    func isAtEnd() throws -> Bool { try !fill(atLeast: 1) }

    /// Returns up to `count` upcoming bytes without consuming them.
    func peek(_ count: Int) throws -> [UInt8] {
        try fill(atLeast: count)
        return Array(available.prefix(count))
    }

    /// Consumes up to `count` bytes; returns how many there were.
    @discardableResult
    func skip(_ count: UInt64) throws -> UInt64 {
        var remaining = count
        while remaining > 0, try fill(atLeast: 1) {
            let step = Int(min(UInt64(end - start), remaining))
            consume(step)
            remaining -= UInt64(step)
        }
        return count - remaining
    }

    /// Consumes zero bytes: the padding the kernel allows between archives and segments.
    func skipZeros() throws {
        while try fill(atLeast: 1) {
            let pending = end - start
            let zeros = available.prefix { $0 == 0 }.count
            consume(zeros)
            if zeros < pending { return }
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0, try fill(atLeast: 1) else { return 0 }
        let count = min(buffer.count, end - start)
        buffer.baseAddress!.copyMemory(from: storage.baseAddress! + start, byteCount: count)
        consume(count)
        return count
    }
}
