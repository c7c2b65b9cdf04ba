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
    public init(directory: String, waiting: (String) -> Void = { _ in }) throws {
        self.directory = directory
        descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ArchiveError.system(operation: "open the directory", path: directory, errno: errno) }
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return }
        guard errno == EWOULDBLOCK else {
            let code = errno
            close(descriptor)
            throw ArchiveError.system(operation: "lock", path: directory, errno: code)
        }
        waiting(directory)
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let code = errno
                close(descriptor)
                throw ArchiveError.system(operation: "lock", path: directory, errno: code)
            }
        }
    }

    deinit { release() }

    public func release() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }
}
