import Support

/// Deflates blocks on a fixed set of threads and hands the results back in submission order.
///
/// The submitter bounds the memory in use by not submitting while `blocksInFlight` is at its
/// limit; the pool itself only queues what it is given.
final class BlockCompressionPool: @unchecked Sendable {
    private struct Job {
        var sequence: Int
        var input: [UInt8]
        var isLast: Bool
    }

    private let lock = ConditionLock()
    // Guarded by `lock`:
    private var waitingJobs: [Job] = []
    private var finishedBlocks: [Int: Result<DeflatedBlock, ArchiveError>] = [:]
    private var nextSequence = 0
    private var nextToHandBack = 0
    private var stopping = false

    private var threads: [Thread] = []

    /// Starts `threadCount` threads, each with its own encoder.
    init(threadCount: Int, level: Int) throws(ArchiveError) {
        // Create every encoder before any thread, so a setup failure leaves nothing running.
        var encoders: [DeflateBlockEncoder] = []
        for _ in 0..<threadCount { encoders.append(try DeflateBlockEncoder(level: level)) }
        threads = encoders.map { encoder in Thread { [self] in self.work(with: encoder) } }
    }

    /// Blocks submitted and not yet handed back.
    var blocksInFlight: Int { lock.withLock { nextSequence - nextToHandBack } }

    func submit(_ input: [UInt8], isLast: Bool) {
        lock.withLock {
            waitingJobs.append(Job(sequence: nextSequence, input: input, isLast: isLast))
            nextSequence += 1
            lock.broadcast()
        }
    }

    /// Puts a block compressed elsewhere (`AdvanceDeflation`) in line, as if a thread had made it.
    func submitFinished(_ block: DeflatedBlock) {
        lock.withLock {
            finishedBlocks[nextSequence] = .success(block)
            nextSequence += 1
            lock.broadcast()
        }
    }

    /// The next block in submission order, waiting for it if needed; nil when none is in flight.
    func nextBlock() -> Result<DeflatedBlock, ArchiveError>? {
        lock.withLock {
            guard nextToHandBack < nextSequence else { return nil }
            lock.wait { stopping || finishedBlocks[nextToHandBack] != nil }
            return takeNextBlock() ?? .failure(.misuse("compressed block requested after the gzip threads stopped"))
        }
    }

    /// The next block in submission order if it is already done.
    func nextBlockIfReady() -> Result<DeflatedBlock, ArchiveError>? {
        lock.withLock { finishedBlocks[nextToHandBack] == nil ? nil : takeNextBlock() }
    }

    /// Stops the threads once their current block is done and drops queued work. Safe to repeat.
    func shutDown() {
        let running: [Thread] = lock.withLock {
            stopping = true
            waitingJobs.removeAll()
            lock.broadcast()
            defer { threads = [] }
            return threads
        }
        running.forEach { $0.join() }
    }

    /// Call with the lock held.
    private func takeNextBlock() -> Result<DeflatedBlock, ArchiveError>? {
        let block = finishedBlocks.removeValue(forKey: nextToHandBack)
        nextToHandBack += 1
        return block
    }

    private func work(with encoder: DeflateBlockEncoder) {
        while let job = takeJob() {
            let result = Result { () throws(ArchiveError) -> DeflatedBlock in
                try encoder.encode(job.input, isLast: job.isLast)
            }
            lock.withLock {
                finishedBlocks[job.sequence] = result
                lock.broadcast()
            }
        }
    }

    /// The oldest waiting job, or nil once the pool is shutting down.
    private func takeJob() -> Job? {
        lock.withLock {
            lock.wait { stopping || !waitingJobs.isEmpty }
            return stopping ? nil : waitingJobs.removeFirst()
        }
    }
}
