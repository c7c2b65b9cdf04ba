#if canImport(Glibc)
import Glibc
#endif
import Archive
import Support

/// SIGINT and SIGTERM end the build cleanly: a watcher thread records the signal and stops the
/// module shell and every other child the build waits for, and the build unwinds through its normal cleanup (temporary files removed, the
/// old image left as it was) before exiting with 128 + the signal number.
final class Cancellation: @unchecked Sendable {
    static let shared = Cancellation()

    private let lock = Lock()
    private var signal: Int32 = 0
    private var childProcessGroup: pid_t?

    var receivedSignal: Int32? { lock.withLock { signal == 0 ? nil : signal } }

    /// Blocks the signals in every thread and starts the thread that waits for them.
    func install() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        _ = Thread { [self] in
            var caught: Int32 = 0
            while sigwait(&set, &caught) == 0 {
                let child = lock.withLock { () -> pid_t? in
                    signal = caught
                    return childProcessGroup
                }
                if let child { kill(-child, SIGTERM) }
                // And whatever else the build waits for: a configuration file's command, a tool.
                RunningChildren.terminateAll()
            }
        }
    }

    /// The process to stop when a signal arrives (the module shell).
    func watch(_ pid: pid_t?) {
        let alreadySignalled = lock.withLock { () -> Bool in
            childProcessGroup = pid
            return signal != 0
        }
        if alreadySignalled, let pid { kill(-pid, SIGTERM) }
    }

    func checkpoint() throws {
        if let signal = receivedSignal {
            throw BuildFailure("interrupted by signal \(signal)", exitStatus: 128 + signal)
        }
    }
}

/// Passes bytes on to `sink` until a signal arrives, then fails: writing a big image (or feeding a
/// slow external compressor) stops within one write instead of running to the end. The bytes
/// passed on are counted for the status line.
final class CancellingSink: ByteSink {
    private let sink: ByteSink
    private let progress: BuildProgress?

    init(_ sink: ByteSink, progress: BuildProgress? = nil) {
        self.sink = sink
        self.progress = progress
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try Cancellation.shared.checkpoint()
        try sink.write(bytes)
        progress?.archiveWritten(bytes.count)
    }

    func beginSeparatePiece() throws { try sink.beginSeparatePiece() }

    func endSeparatePiece() throws { try sink.endSeparatePiece() }

    func finish() throws {
        try Cancellation.shared.checkpoint()
        try sink.finish()
    }
}
