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
///
/// Files can also be guessed at before anything is staged (a binary a module's check() found):
/// a guess runs only when nothing staged is waiting, and guesses keep at most `guessLimit` bytes.
public final class AdvanceDeflation: @unchecked Sendable {
    /// libdeflate's level, as the writer's.
    public let level: Int
    /// Input bytes per block, as the writer's.
    public let blockSize: Int
    /// Compressed bytes kept at most; files beyond it are left to the writer.
    private let memoryLimit: Int
    /// Compressed bytes of guessed files kept at most.
    private let guessLimit: Int
    private let encoder: DeflateBlockEncoder

    private enum Job {
        case file(path: String, original: String)
        /// Files known only once the closure has run (an executable's libraries).
        case files(@Sendable () -> [String])
    }

    private let lock = ConditionLock()
    // Guarded by `lock`:
    private var queue: [Job] = []
    private var guesses: [Job] = []
    private var busy = false
    /// Originals queued for certain, and originals queued as guesses: each is queued once as each.
    private var queued: Set<String> = []
    private var guessed: Set<String> = []
    /// Originals read: a file already read as a guess is not read again for certain.
    private var done: Set<String> = []
    private var guessedBytes = 0
    private var blocks: [BlockKey: DeflatedBlock] = [:]
    private var storedBytes = 0
    private var accepting = true
    private var thread: Thread?
    private var found = 0
    private var missed = 0

    public init(
        level: Int, blockSize: Int = ParallelGzipSink.defaultBlockSize, memoryLimit: Int = 32 << 20,
        guessLimit: Int = 8 << 20
    ) throws(ArchiveError) {
        guard (1...(64 << 20)).contains(blockSize) else {
            throw .compression(operation: "gzip setup", message: "block size \(blockSize) is not between 1 byte and 64 MiB")
        }
        self.level = level
        self.blockSize = blockSize
        self.memoryLimit = memoryLimit
        self.guessLimit = guessLimit
        encoder = try DeflateBlockEncoder(level: level)
    }

    deinit { shutDown() }

    /// Queues the file at `path`, a copy of `original` (itself, when it is not a copy); returns at
    /// once. Another copy of the same original is not read again.
    public func prepare(_ path: String, copyOf original: String) {
        lock.withLock {
            if admits(original, asGuess: false) { enqueue(.file(path: path, original: original), guess: false) }
        }
    }

    /// Queues the files `paths` will name, for the thread to find out (and not the caller).
    public func prepareLater(_ paths: @escaping @Sendable () -> [String]) {
        lock.withLock { enqueue(.files(paths), guess: false) }
    }

    /// Queues a file that will probably be staged as it is, at a lower priority than the rest.
    public func guess(_ path: String) {
        lock.withLock {
            if admits(path, asGuess: true) { enqueue(.file(path: path, original: path), guess: true) }
        }
    }

    /// Guesses the files `paths` will name, for the thread to find out.
    public func guessLater(_ paths: @escaping @Sendable () -> [String]) {
        lock.withLock { enqueue(.files(paths), guess: true) }
    }

    /// Takes no more work and drops what is not started; what is in progress is finished.
    public func stopPreparing() {
        lock.withLock {
            accepting = false
            queue.removeAll()
            guesses.removeAll()
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
        lock.withLock { lock.wait { !busy && ((queue.isEmpty && guesses.isEmpty) || !accepting) } }
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

    /// Whether `original` is to be queued (and, if so, marks it queued): not read yet, not queued
    /// the same way, and for a guess not queued for certain either. Call with the lock held.
    private func admits(_ original: String, asGuess isGuess: Bool) -> Bool {
        guard !done.contains(original) else { return false }
        if isGuess { return !queued.contains(original) && guessed.insert(original).inserted }
        return queued.insert(original).inserted
    }

    /// Call with the lock held.
    private func enqueue(_ job: Job, guess: Bool) {
        guard accepting, storedBytes < memoryLimit else { return }
        if guess { guesses.append(job) } else { queue.append(job) }
        if thread == nil { thread = Thread { [self] in work() } }
        lock.broadcast()
    }

    private func work() {
        while let (job, isGuess) = nextJob() {
            switch job {
            case .file(let path, let original):
                guard lock.withLock({ done.insert(original).inserted }) else { break }
                let made = deflate(path)
                lock.withLock {
                    for (key, block) in made where blocks.updateValue(block, forKey: key) == nil {
                        storedBytes += block.compressed.count
                        if isGuess { guessedBytes += block.compressed.count }
                    }
                }
            case .files(let paths):
                let named = paths()
                lock.withLock {
                    for path in named where admits(path, asGuess: isGuess) {
                        enqueue(.file(path: path, original: path), guess: isGuess)
                    }
                }
            }
            lock.withLock {
                busy = false
                lock.broadcast()
            }
        }
    }

    /// The next job, now in progress (a guess only when nothing certain waits); nil once no more
    /// are taken.
    private func nextJob() -> (Job, isGuess: Bool)? {
        lock.withLock {
            while true {
                lock.wait { !accepting || !queue.isEmpty || !guesses.isEmpty }
                guard accepting, storedBytes < memoryLimit else { return nil }
                if !queue.isEmpty {
                    busy = true
                    return (queue.removeFirst(), false)
                }
                // Guesses beyond their share are dropped; certain work may still come.
                if guessedBytes >= guessLimit {
                    guesses.removeAll()
                    continue
                }
                busy = true
                return (guesses.removeFirst(), true)
            }
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

/// What finds a block again: its input's length and two checksums of it. Another input of the
/// same length that passes both 32-bit checks is a chance of about one in 2^64, far below a disk's
/// own undetected errors.
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
