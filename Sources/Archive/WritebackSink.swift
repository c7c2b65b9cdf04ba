import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Support

/// Passes the bytes on (to a file's sink, or to a compressor in front of it), and every `interval`
/// bytes passed has the kernel start writing what the file holds so far to disk, on a thread of
/// its own.
///
/// A new image that replaces an old one is written to disk before the rename returns: ext4 does
/// so for a file renamed over another (auto_da_alloc), and a synced image waits for every page.
/// Started while the archive is still being written, on the processor the writer leaves idle,
/// most of that is done by the time the image is committed: the rename of a 32 MB image over
/// another took 22–27 ms, and 8 ms so (what is left is mostly freeing the old image); of a
/// 176 MB one 105–120 ms, and 41–45 ms so.
public final class WritebackSink: ByteSink {
    private let next: any ByteSink
    /// The file, through a descriptor of this sink's own: the owner may close its descriptor
    /// whenever it likes.
    private var descriptor: Int32
    private let interval: UInt64
    private var sinceLastStart: UInt64 = 0
    private let queue = DispatchQueue(label: "kindling.writeback")
    private let queued = QueuedStart()

    public init(forwardingTo next: any ByteSink, fileDescriptor: Int32, interval: Int = 2 << 20) {
        self.next = next
        descriptor = fcntl(fileDescriptor, F_DUPFD_CLOEXEC, 0)
        self.interval = UInt64(max(1, interval))
    }

    deinit { stop() }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try next.write(bytes)
        sinceLastStart += UInt64(bytes.count)
        guard sinceLastStart >= interval else { return }
        sinceLastStart = 0
        startWriteback()
    }

    public func beginSeparatePiece() throws { try next.beginSeparatePiece() }

    public func endSeparatePiece() throws { try next.endSeparatePiece() }

    public func finish() throws {
        try next.finish()
        stop()
    }

    private func startWriteback() {
        guard descriptor >= 0, queued.claim() else { return }
        let descriptor = self.descriptor, queued = self.queued
        queue.async {
            queued.release()
            // Failing (a pipe, a filesystem without it) costs only the head start.
            GNUCalls.startWriteback(descriptor)
        }
    }

    /// Waits for the thread and closes this sink's descriptor.
    private func stop() {
        guard descriptor >= 0 else { return }
        queue.sync {}
        close(descriptor)
        descriptor = -1
    }
}

/// Whether a start is queued and has not begun: another would find nothing more to write.
private final class QueuedStart: @unchecked Sendable {
    private let lock = Lock()
    private var isQueued = false

    /// True when none was queued: the caller queues one.
    func claim() -> Bool {
        lock.withLock {
            defer { isQueued = true }
            return !isQueued
        }
    }

    func release() { lock.withLock { isQueued = false } }
}
