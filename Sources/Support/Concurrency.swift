#if canImport(Glibc)
import Glibc
#endif

/// The number of online processors: how many threads compress, map or build at once.
public func availableProcessorCount() -> Int {
    max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
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
