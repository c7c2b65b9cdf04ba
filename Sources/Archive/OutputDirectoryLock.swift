#if canImport(Glibc)
import Glibc
#endif
import Support

/// Serialises builds that write into the same directory, from the check for an existing image to
/// the rename that replaces it.
///
/// The lock is a file only the build's user can open: `dir-DEVICE-INODE.lock` (the output
/// directory's identity) in a directory of that user's own, mode 0700: `/run/kindling` for root,
/// `$XDG_RUNTIME_DIR/kindling` for others. A lock on the output directory itself could be taken
/// by any user who can read it (every user can open `/boot`), and would stall root's builds.
/// Where no such directory can be had (no writable `/run`, as in a bare chroot), the directory
/// itself is locked, as before. The holder writes its process ID into the file, so a build that
/// gives up can say who holds it.
public final class OutputDirectoryLock {
    public let directory: String
    /// The lock file, or the directory itself where no private lock directory could be had.
    public let lockPath: String
    private var descriptor: Int32

    /// Why a lock could not be taken.
    public enum Failure: Error, CustomStringConvertible, Equatable {
        case timedOut(directory: String, seconds: Int, holder: pid_t?)

        public var description: String {
            switch self {
            case .timedOut(let directory, let seconds, let holder):
                let who =
                    holder.map { "build \($0)\(LiveBuilds.commandName(of: $0).map { " (\($0))" } ?? "")" }
                    ?? "another build"
                return "cannot lock \(directory): \(who) has held it for \(seconds) s (--lock-timeout)"
            }
        }
    }

    /// Takes the lock. If another build holds it, `waiting` is called once with its process ID
    /// (when known), then the lock is tried every 0.1 s; `checkpoint` runs between tries (it throws
    /// to give up, on a signal), and after `timeout` seconds (nil: none) the wait fails.
    public init(
        directory: String, timeout: Int?, waiting: (pid_t?) -> Void = { _ in },
        checkpoint: () throws -> Void = {}
    ) throws {
        self.directory = directory
        var identity = stat()
        guard stat(directory, &identity) == 0 else {
            throw ArchiveError.system(operation: "open the directory", path: directory, errno: errno)
        }
        let name = "dir-\(identity.st_dev)-\(identity.st_ino).lock"
        if let lockDirectory = Self.privateLockDirectory(),
            let file = Self.openLockFile(name, in: lockDirectory)
        {
            lockPath = lockDirectory + "/" + name
            descriptor = file
        } else {
            lockPath = directory
            descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw ArchiveError.system(operation: "open the directory", path: directory, errno: errno)
            }
        }
        do {
            try acquire(timeout: timeout, waiting: waiting, checkpoint: checkpoint)
        } catch {
            release()
            throw error
        }
        recordHolder()
    }

    deinit { release() }

    public func release() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }

    private func acquire(timeout: Int?, waiting: (pid_t?) -> Void, checkpoint: () throws -> Void)
        throws
    {
        var start = timespec()
        var announced = false
        clock_gettime(CLOCK_MONOTONIC, &start)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw ArchiveError.system(operation: "lock", path: lockPath, errno: errno)
            }
            if !announced {
                waiting(holder())
                announced = true
            }
            try checkpoint()
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let waited = Double(now.tv_sec - start.tv_sec) + Double(now.tv_nsec - start.tv_nsec) / 1e9
            if let timeout, timeout > 0, waited >= Double(timeout) {
                throw Failure.timedOut(directory: directory, seconds: timeout, holder: holder())
            }
            usleep(100_000)
        }
    }

    /// The process ID the holder wrote; nil for a directory lock or an unreadable file.
    private func holder() -> pid_t? {
        guard lockPath != directory else { return nil }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return pid_t(String(decoding: buffer[..<count], as: UTF8.self).prefix { $0 != "\n" })
    }

    private func recordHolder() {
        guard lockPath != directory else { return }
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pwrite(descriptor, text, text.count, 0)
    }

    /// A directory only this user can write and open: made 0700 if missing, and refused if it is a
    /// symlink, another user's, or open to others.
    static func privateLockDirectory() -> String? {
        let path: String
        if geteuid() == 0 {
            path = "/run/kindling"
        } else if let runtime = getenv("XDG_RUNTIME_DIR").map({ String(cString: $0) }),
            runtime.hasPrefix("/")
        {
            path = runtime + "/kindling"
        } else {
            return nil
        }
        _ = mkdir(path, 0o700)
        let opened = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard opened >= 0 else { return nil }
        defer { close(opened) }
        var status = stat()
        guard fstat(opened, &status) == 0, status.st_uid == geteuid(), status.st_mode & 0o077 == 0
        else { return nil }
        return path
    }

    /// Opens (or creates, 0600) a lock file, never through a symlink, only if it is a regular file
    /// of this user's that no one else can open.
    private static func openLockFile(_ name: String, in directory: String) -> Int32? {
        let file = open(
            directory + "/" + name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0o600)
        guard file >= 0 else { return nil }
        var status = stat()
        guard fstat(file, &status) == 0, status.st_mode & S_IFMT == S_IFREG, status.st_uid == geteuid(),
            status.st_mode & 0o077 == 0
        else {
            close(file)
            return nil
        }
        return file
    }
}
