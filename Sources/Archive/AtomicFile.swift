#if canImport(Glibc)
import Glibc
#endif
import Support

/// A file that replaces `target` only when complete: it is written beside the target under a
/// temporary name, synced, renamed over the target, and the directory is synced (`commit` can
/// leave both syncs out). Until `commit()`, the old target is untouched; an uncommitted file is
/// removed.
public final class AtomicFile {
    public let target: String
    public let temporaryPath: String
    public let fileDescriptor: Int32
    private var finished = false

    /// - Parameter permissions: the image may hold keys, so it is private by default, as dracut's.
    public init(replacing target: String, permissions: mode_t = 0o600) throws {
        self.target = target
        let (directory, name) = Self.split(target)
        var template = Array("\(directory)/.\(name).kindling-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { GNUCalls.mkostempCloseOnExec($0.baseAddress!) }
        guard descriptor >= 0 else { throw ArchiveError.system(operation: "create a file in", path: directory, errno: errno) }
        fileDescriptor = descriptor
        temporaryPath = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        fchmod(descriptor, permissions)
    }

    deinit { discard() }

    /// - Parameter syncing: false leaves the bytes to the page cache: the rename is as atomic for
    ///   every reader, and only a crash soon after may lose the new file.
    public func commit(syncing: Bool = true) throws {
        guard !finished else { throw ArchiveError.misuse("commit of '\(target)' after it was finished") }
        if syncing {
            guard fsync(fileDescriptor) == 0 else { throw ArchiveError.system(operation: "sync", path: temporaryPath, errno: errno) }
        }
        guard rename(temporaryPath, target) == 0 else {
            throw ArchiveError.system(operation: "rename into place", path: target, errno: errno)
        }
        finished = true
        close(fileDescriptor)
        guard syncing else { return }
        let directoryDescriptor = open(Self.split(target).directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// Removes what a build of `target` that was killed (`kill -9`, a crash) left beside it: files
    /// named as this type names its temporary files, regular, this user's, and last changed before
    /// `time`. Call it holding the output directory's lock, so that no live build is writing one.
    /// Returns the names removed.
    @discardableResult
    public static func removeLeftovers(of target: String, changedBefore time: time_t) -> [String] {
        let (directory, name) = split(target)
        let prefix = PathBytes.bytes(".\(name).kindling-")
        return (directoryEntries(directory) ?? []).filter { entry in
            // mkstemp's six characters, letters and digits.
            let bytes = PathBytes.bytes(entry)
            guard bytes.count == prefix.count + 6, bytes.starts(with: prefix),
                bytes[prefix.count...].allSatisfy({ isalnum(Int32($0)) != 0 })
            else { return false }
            let path = directory + "/" + entry
            var status = stat()
            return lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFREG && status.st_uid == geteuid()
                && status.st_mtim.tv_sec < time && unlink(path) == 0
        }
    }

    /// The target's directory and its name in it.
    private static func split(_ target: String) -> (directory: String, name: String) {
        guard let slash = target.lastIndex(of: "/") else { return (".", target) }
        return (slash == target.startIndex ? "/" : String(target[..<slash]), String(target[target.index(after: slash)...]))
    }

    /// Removes the temporary file; the target stays as it was.
    public func discard() {
        guard !finished else { return }
        finished = true
        close(fileDescriptor)
        unlink(temporaryPath)
    }
}
