#if canImport(Glibc)
import Glibc
#endif
import CLibdeflate
import Support

/// Compresses the staged tree's large files while the build is still running, so that the
/// parallel gzip writer finds their blocks done.
///
/// The writer compresses only once the whole tree is staged, on every core; until then, while
/// module code runs in the shell, a core is mostly idle. A large file's data starts blocks of
/// its own in the image's deflate stream (`CpioWriter.separateFileSize`), so those blocks can be
/// made as soon as the file is known: one background thread makes them, in the writer's block
/// size and level. The writer finds a block by its input's content (length, CRC-32, Adler-32),
/// never by a name: a file changed after it was read (stripped, rewritten) is not found, and the
/// writer compresses it as before. The image's bytes are the same with or without it.
public final class AdvanceDeflation: @unchecked Sendable {
    /// libdeflate's level, as the writer's.
    public let level: Int
    /// Input bytes per block, as the writer's.
    public let blockSize: Int
    /// Compressed bytes kept at most; files beyond it are left to the writer.
    private let memoryLimit: Int
    private let encoder: DeflateBlockEncoder

    private enum Job {
        case file(path: String)
        /// Files known only once the closure has run (an executable's libraries).
        case files(@Sendable () -> [String])
    }

    private let lock = ConditionLock()
    // Guarded by `lock`:
    private var queue: [Job] = []
    private var busy = false
    /// The files queued so far, by what they are copies of: each is read once.
    private var originals: Set<String> = []
    private var blocks: [BlockKey: DeflatedBlock] = [:]
    private var storedBytes = 0
    private var accepting = true
    private var thread: Thread?
    private var found = 0
    private var missed = 0

    public init(
        level: Int, blockSize: Int = ParallelGzipSink.defaultBlockSize, memoryLimit: Int = 32 << 20
    ) throws(ArchiveError) {
        guard (1...(64 << 20)).contains(blockSize) else {
            throw .compression(operation: "gzip setup", message: "block size \(blockSize) is not between 1 byte and 64 MiB")
        }
        self.level = level
        self.blockSize = blockSize
        self.memoryLimit = memoryLimit
        encoder = try DeflateBlockEncoder(level: level)
    }

    deinit { shutDown() }

    /// Queues the file at `path`, a copy of `original` (itself, when it is not a copy); returns at
    /// once. Another copy of the same original is not read again.
    public func prepare(_ path: String, copyOf original: String) {
        lock.withLock {
            guard originals.insert(original).inserted else { return }
            enqueue(.file(path: path))
        }
    }

    /// Queues the files `paths` will name, for the thread to find out (and not the caller).
    public func prepareLater(_ paths: @escaping @Sendable () -> [String]) {
        lock.withLock { enqueue(.files(paths)) }
    }

    /// Takes no more work and drops what is not started; what is in progress is finished.
    public func stopPreparing() {
        lock.withLock {
            accepting = false
            queue.removeAll()
            lock.broadcast()
        }
    }

    /// Stops the thread once its current work is done. Safe to repeat.
    public func shutDown() {
        stopPreparing()
        let running: Thread? = lock.withLock {
            defer { thread = nil }
            return thread
        }
        running?.join()
    }

    /// Waits until everything queued is done (or dropped).
    func waitUntilIdle() {
        lock.withLock { lock.wait { !busy && (queue.isEmpty || !accepting) } }
    }

    /// Blocks the writer found done, and blocks it looked for and compressed itself.
    public var lookups: (found: Int, missed: Int) { lock.withLock { (found, missed) } }

    /// The block made for exactly `input`, if any. Work in progress is waited for: it is at most
    /// one file, and most often the one asked for.
    func block(for input: UnsafeRawBufferPointer) -> DeflatedBlock? {
        let key = BlockKey(input)
        return lock.withLock {
            lock.wait { !busy || blocks[key] != nil }
            guard let block = blocks.removeValue(forKey: key) else {
                missed += 1
                return nil
            }
            storedBytes -= block.compressed.count
            found += 1
            return block
        }
    }

    /// Call with the lock held.
    private func enqueue(_ job: Job) {
        guard accepting, storedBytes < memoryLimit else { return }
        queue.append(job)
        if thread == nil { thread = Thread { [self] in work() } }
        lock.broadcast()
    }

    private func work() {
        while let job = nextJob() {
            switch job {
            case .file(let path):
                let made = deflate(path)
                lock.withLock {
                    for (key, block) in made where blocks.updateValue(block, forKey: key) == nil {
                        storedBytes += block.compressed.count
                    }
                }
            case .files(let paths):
                let named = paths()
                lock.withLock {
                    for path in named where originals.insert(path).inserted { enqueue(.file(path: path)) }
                }
            }
            lock.withLock {
                busy = false
                lock.broadcast()
            }
        }
    }

    /// The next job, now in progress; nil once no more are taken.
    private func nextJob() -> Job? {
        lock.withLock {
            lock.wait { !accepting || !queue.isEmpty }
            guard accepting, storedBytes < memoryLimit, !queue.isEmpty else { return nil }
            busy = true
            return queue.removeFirst()
        }
    }

    /// The file's blocks; none when it cannot be read whole (the writer will say why, if it matters).
    private func deflate(_ path: String) -> [(BlockKey, DeflatedBlock)] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return [] }
        defer { close(descriptor) }
        var made: [(BlockKey, DeflatedBlock)] = []
        while let input = readBlock(from: descriptor), !input.isEmpty {
            guard let block = try? encoder.encode(input, isLast: false) else { return [] }
            made.append((input.withUnsafeBytes { BlockKey($0) }, block))
            if input.count < blockSize { break }
        }
        return made
    }

    /// Up to `blockSize` bytes, fewer only at the end of the file; nil on a read error.
    private func readBlock(from descriptor: Int32) -> [UInt8]? {
        var failed = false
        let input = [UInt8](unsafeUninitializedCapacity: blockSize) { buffer, count in
            count = 0
            while count < blockSize {
                let got = read(descriptor, buffer.baseAddress! + count, blockSize - count)
                if got > 0 {
                    count += got
                } else if got == 0 {
                    break
                } else if errno != EINTR {
                    failed = true
                    break
                }
            }
        }
        return failed ? nil : input
    }
}

/// What finds a block again: its input's length and two checksums of it.
private struct BlockKey: Hashable {
    var count: Int
    var crc: UInt32
    var adler: UInt32

    init(_ input: UnsafeRawBufferPointer) {
        count = input.count
        crc = UInt32(libdeflate_crc32(0, input.baseAddress, input.count))
        adler = UInt32(libdeflate_adler32(1, input.baseAddress, input.count))
    }
}
