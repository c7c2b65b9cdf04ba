#if canImport(Glibc)
import Glibc
#endif

/// Serialises builds that write into the same directory: an exclusive flock on the directory
/// itself, held from the check for an existing image to the rename that replaces it.
///
/// Why the directory: the image is replaced by a rename, so a lock on the image's inode would be
/// on a file that the next build no longer sees, and a separate lock file would be left behind
/// (or removed with a race). The directory outlives every rename and needs no new file. The cost
/// is that two builds of different images in one directory also take turns, which is rare.
public final class OutputDirectoryLock {
    public let directory: String
    private var descriptor: Int32

    /// Blocks until no other build holds the lock; `waiting` is called once if it has to wait.
    /// While it waits, `cancelled` is asked every 50 ms, and what it throws ends the wait: a
    /// signal must end a build that waits for another one (signals do not interrupt flock here,
    /// where they are taken by a thread of their own).
    public init(directory: String, waiting: (String) -> Void = { _ in }, cancelled: () throws -> Void = {}) throws {
        self.directory = directory
        descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ArchiveError.system(operation: "open the directory", path: directory, errno: errno) }
        var announced = false
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                let code = errno
                close(descriptor)
                throw ArchiveError.system(operation: "lock", path: directory, errno: code)
            }
            if !announced {
                announced = true
                waiting(directory)
            }
            do {
                try cancelled()
            } catch {
                close(descriptor)
                descriptor = -1
                throw error
            }
            usleep(50_000)
        }
    }

    deinit { release() }

    public func release() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }
}
