#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Support

public struct StagingError: Error, CustomStringConvertible {
    public let description: String
}

/// The build's temporary directory (dracut's DRACUT_TMPDIR), holding the image tree `initramfs/`.
/// It is removed when the build ends, however it ends, unless the user asked to keep it.
///
/// A live build holds an flock on its directory, so the next build can tell a directory whose
/// build was killed (`kill -9`) from one in use, and removes the former.
///
/// The directory is a top directory for ext2/3/4 (`chattr +T`), and the image root is made under
/// a random name: ext4 then places it in a block group that the name picks, with the tree's
/// inodes. An ext4 without a journal skips, for every inode it allocates, each one freed in the
/// last minutes, and a build's tree is thousands of inodes: in the one group all builds shared,
/// each build searched past what the builds before it (Kindling's and dracut's) had freed.
public final class StagingDirectory {
    public let path: String
    public var imageRoot: String { path + "/initramfs" }
    public var keep = false
    private var removed = false
    /// The directory, opened and locked while the build lives.
    private var lock: Int32 = -1

    public init(parent: String) throws {
        var template = Array((parent + "/kindling.XXXXXX").utf8CString)
        guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw StagingError(description: "cannot create a temporary directory in \(parent): \(systemErrorDescription())")
        }
        path = String(cString: created)
        lock = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if lock >= 0 {
            _ = flock(lock, LOCK_EX | LOCK_NB)
            GNUCalls.markTopDirectory(lock)
        }
        // Made under a name of its own, so that ext4 places it in a block group of its own (see
        // `StagingDirectory`); the rename does not move it.
        let placed = path + "/initramfs." + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        guard mkdir(placed, 0o755) == 0, rename(placed, path + "/initramfs") == 0 else {
            let message = systemErrorDescription()
            try? FileManager.default.removeItem(atPath: path)
            throw StagingError(description: "cannot create \(path)/initramfs: \(message)")
        }
    }

    deinit {
        remove()
        if lock >= 0 { close(lock) }
    }

    public func remove() {
        guard !removed, !keep else { return }
        removed = true
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Removes the staging directories in `parent` that builds killed before they could remove
    /// them left: named as this type names them, this user's directories (not symlinks), locked by
    /// no live build, and last changed before `time` (the start of every live build: a build of
    /// another version may not lock its directory, and a live one locks it only once made).
    /// Returns the paths removed.
    @discardableResult
    public static func removeAbandoned(in parent: String, changedBefore time: time_t) -> [String] {
        guard let names = directoryEntries(parent) else { return [] }
        return names.filter { $0.hasPrefix("kindling.") && $0.utf8.count == "kindling.XXXXXX".utf8.count }.compactMap { name in
            let path = parent + "/" + name
            let directory = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard directory >= 0 else { return nil }
            defer { close(directory) }
            var status = stat()
            guard fstat(directory, &status) == 0, status.st_uid == geteuid(),
                status.st_mtim.tv_sec < time, flock(directory, LOCK_EX | LOCK_NB) == 0
            else { return nil }
            do {
                try FileManager.default.removeItem(atPath: path)
                return path
            } catch {
                return nil
            }
        }
    }
}
