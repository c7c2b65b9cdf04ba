import Dispatch
#if canImport(Glibc)
import Glibc
#endif

// The engine's general-purpose threads, locks and parallel map, kept together so that no layer
// grows its own; what uses them for a domain (BlockCompressionPool, the --regenerate-all queue,
// Cancellation) stays in its layer.

/// The number of online processors: how many threads compress, map or build at once.
public func availableProcessorCount() -> Int {
    max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}

/// A pthread mutex; small enough not to need a dependency.
public final class Lock: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    public init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}

/// A mutex paired with one condition variable, for hand-offs between threads.
///
/// The pthread objects live on the heap because they must not move once initialised.
public final class ConditionLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Sleeps until `isSatisfied` holds. Call only inside `withLock`.
    public func wait(until isSatisfied: () -> Bool) {
        while !isSatisfied() { pthread_cond_wait(condition, mutex) }
    }

    /// Wakes every waiter so each can re-check its own condition.
    public func broadcast() { pthread_cond_broadcast(condition) }
}

/// Maps independent work items on every processor: reading the symbol tables of a directory
/// walk's modules is the one place in a build where that pays.
public enum ParallelMap {
    public static func map<Element: Sendable, Result: Sendable>(_ items: [Element], _ transform: @Sendable (Element) -> Result) -> [Result] {
        let workers = max(1, min(availableProcessorCount(), items.count))
        guard workers > 1 else { return items.map(transform) }
        let slots = Slots<Result>(count: items.count)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            // Interleaved so that both workers meet the big and the small modules of each directory.
            for index in stride(from: worker, to: items.count, by: workers) { slots.store(transform(items[index]), at: index) }
        }
        return slots.values()
    }

    /// One slot per item, each written by exactly one worker before `values` reads them all.
    /// The slots are raw memory: writing through a stored array from several threads at once is
    /// a simultaneous modifying access to that property, which debug builds trap on.
    private final class Slots<Value>: @unchecked Sendable {
        private let storage: UnsafeMutableBufferPointer<Value?>

        init(count: Int) {
            storage = .allocate(capacity: count)
            storage.initialize(repeating: nil)
        }

        deinit {
            storage.baseAddress!.deinitialize(count: storage.count)
            storage.deallocate()
        }

        func store(_ value: Value, at index: Int) { storage[index] = value }

        func values() -> [Value] { storage.map { $0! } }
    }
}

/// A joinable POSIX thread; enough for the few helper threads the engine needs.
public final class Thread: @unchecked Sendable {
    private var handle = pthread_t()
    private let body: () -> Void

    public init(_ body: @escaping () -> Void) {
        self.body = body
        let context = Unmanaged.passRetained(self).toOpaque()
        pthread_create(
            &handle, nil,
            { raw in
                let thread = Unmanaged<Thread>.fromOpaque(raw!).takeRetainedValue()
                thread.body()
                return nil
            }, context)
    }

    public func join() { pthread_join(handle, nil) }

    /// Runs `body` on a thread of its own that nobody joins. For work that blocks (a program to
    /// wait for): libdispatch's pool looks at /proc to tell its blocked workers, and traps where
    /// there is none.
    public static func detach(_ body: @escaping () -> Void) {
        _ = Thread { body() }.detached()
    }

    private func detached() -> Self {
        pthread_detach(handle)
        return self
    }
}

/// Objects the process keeps until it exits, never freeing them: a command that ends right after
/// one build leaves that build's object graph (every kernel module's facts, the installer's
/// caches) to the exit, which takes the memory back at once, instead of freeing it object by
/// object first (25 ms at the end of a build with 1,000 kernel modules).
public enum ProcessLifetime {
    private static let lock = Lock()
    nonisolated(unsafe) private static var kept: [AnyObject] = []

    /// Keeps `object` until the process exits. Only for what no deinit needs to finish: a file
    /// closed or a child reaped by a deinit would be left to the exit too.
    public static func keepUntilExit(_ object: AnyObject) {
        lock.withLock { kept.append(object) }
    }
}
