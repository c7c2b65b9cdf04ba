#if canImport(Glibc)
import Glibc
#endif
import Support

/// A destination for a stream of bytes. Sinks can wrap other sinks (compression in front of a
/// file); `finish()` flushes this sink and then finishes the one it writes to.
public protocol ByteSink: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
    func finish() throws
    /// The bytes written from here to `endSeparatePiece()` are a file's data: a sink that
    /// compresses in blocks compresses them apart from what comes before and after.
    func beginSeparatePiece() throws
    func endSeparatePiece() throws
}

extension ByteSink {
    /// Most sinks write a file's data like any other bytes.
    public func beginSeparatePiece() throws {}
    public func endSeparatePiece() throws {}

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }
}

/// Writes to a file descriptor through a buffer, so the many small cpio headers do not each cost
/// a system call.
public final class FileSink: ByteSink {
    /// -1 once `finish()` closed a descriptor this sink owns.
    public private(set) var fileDescriptor: Int32
    private let ownsDescriptor: Bool
    /// Names the destination in error messages.
    private let name: String
    private var buffer: [UInt8] = []
    private let bufferCapacity: Int
    public private(set) var bytesWritten: UInt64 = 0

    /// Writes to a descriptor the caller opened and will close.
    public init(fileDescriptor: Int32, name: String, bufferCapacity: Int = 256 * 1024) {
        self.fileDescriptor = fileDescriptor
        self.ownsDescriptor = false
        self.name = name
        self.bufferCapacity = max(1, bufferCapacity)
        buffer.reserveCapacity(self.bufferCapacity)
    }

    /// Creates (or truncates) the file at `path`; `finish()` closes it.
    public init(creating path: String, permissions: mode_t = 0o644, bufferCapacity: Int = 256 * 1024) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, permissions)
        guard descriptor >= 0 else { throw ArchiveError.systemError("create", path) }
        self.fileDescriptor = descriptor
        self.ownsDescriptor = true
        self.name = path
        self.bufferCapacity = max(1, bufferCapacity)
        buffer.reserveCapacity(self.bufferCapacity)
    }

    deinit {
        if ownsDescriptor && fileDescriptor >= 0 { close(fileDescriptor) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard fileDescriptor >= 0 else { throw ArchiveError.misuse("write to '\(name)' after it was finished") }
        if buffer.count + bytes.count > bufferCapacity { try flush() }
        if bytes.count >= bufferCapacity {
            try writeThrough(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
        bytesWritten += UInt64(bytes.count)
    }

    public func finish() throws {
        guard fileDescriptor >= 0 else { return }
        try flush()
        if ownsDescriptor {
            let descriptor = fileDescriptor
            fileDescriptor = -1
            guard close(descriptor) == 0 else { throw ArchiveError.systemError("close", name) }
        }
    }

    /// Writes out what is buffered, e.g. before another writer (a `CommandSink`) appends to the
    /// same descriptor.
    public func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeThrough($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeThrough(_ bytes: UnsafeRawBufferPointer) throws {
        guard writeAllBytes(fileDescriptor, bytes) else { throw ArchiveError.systemError("write", name) }
    }
}

/// Counts the bytes passing through, optionally forwarding them.
public final class CountingSink: ByteSink {
    private let next: (any ByteSink)?
    public private(set) var count: UInt64 = 0

    /// With no `next` the bytes are counted and dropped, e.g. to measure an archive.
    public init(forwardingTo next: (any ByteSink)? = nil) { self.next = next }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        count += UInt64(bytes.count)
        try next?.write(bytes)
    }

    public func beginSeparatePiece() throws { try next?.beginSeparatePiece() }

    public func endSeparatePiece() throws { try next?.endSeparatePiece() }

    public func finish() throws { try next?.finish() }
}

/// Collects everything in memory; for small archives and tests.
public final class MemorySink: ByteSink {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public func write(_ bytes: UnsafeRawBufferPointer) throws { self.bytes.append(contentsOf: bytes) }

    public func finish() throws {}
}

/// Writes the whole buffer with Support's `writeAll`, which retries short writes and EINTR.
func writeAllBytes(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
    writeAll(fd: descriptor, bytes.assumingMemoryBound(to: UInt8.self))
}
