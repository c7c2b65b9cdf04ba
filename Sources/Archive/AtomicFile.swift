#if canImport(Glibc)
import Glibc
#endif
import Support

/// A file that replaces `target` only when complete: it is written beside the target under a
/// temporary name, synced, renamed over the target, and the directory is synced. Until
/// `commit()`, the old target is untouched; an uncommitted file is removed.
public final class AtomicFile {
    public let target: String
    public let temporaryPath: String
    public let fileDescriptor: Int32
    private var finished = false

    /// - Parameter permissions: the image may hold keys, so it is private by default, as dracut's.
    public init(replacing target: String, permissions: mode_t = 0o600) throws {
        self.target = target
        let slash = target.lastIndex(of: "/")
        let directory = slash.map { $0 == target.startIndex ? "/" : String(target[..<$0]) } ?? "."
        let name = slash.map { String(target[target.index(after: $0)...]) } ?? target
        var template = Array("\(directory)/.\(name).kindling-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { GNUCalls.mkostempCloseOnExec($0.baseAddress!) }
        guard descriptor >= 0 else { throw ArchiveError.system(operation: "create a file in", path: directory, errno: errno) }
        fileDescriptor = descriptor
        temporaryPath = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        fchmod(descriptor, permissions)
    }

    deinit { discard() }

    public func commit() throws {
        guard !finished else { throw ArchiveError.misuse("commit of '\(target)' after it was finished") }
        guard fsync(fileDescriptor) == 0 else { throw ArchiveError.system(operation: "sync", path: temporaryPath, errno: errno) }
        guard rename(temporaryPath, target) == 0 else {
            throw ArchiveError.system(operation: "rename into place", path: target, errno: errno)
        }
        finished = true
        close(fileDescriptor)
        let directory = target.lastIndex(of: "/").map { $0 == target.startIndex ? "/" : String(target[..<$0]) } ?? "."
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
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
        let slash = target.lastIndex(of: "/")
        let directory = slash.map { $0 == target.startIndex ? "/" : String(target[..<$0]) } ?? "."
        let prefix = Array(".\(slash.map { String(target[target.index(after: $0)...]) } ?? target).kindling-".utf8)
        let opened = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard opened >= 0, let stream = fdopendir(opened) else {
            if opened >= 0 { close(opened) }
            return []
        }
        defer { closedir(stream) }
        var removed: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            // mkstemp's six characters, letters and digits.
            guard name.count == prefix.count + 6, name.starts(with: prefix),
                name[prefix.count...].allSatisfy({ isalnum(Int32($0)) != 0 })
            else { continue }
            var status = stat()
            let path = name + [0]
            let found = path.withUnsafeBufferPointer { pointer in
                pointer.withMemoryRebound(to: CChar.self) { fstatat(opened, $0.baseAddress!, &status, AT_SYMLINK_NOFOLLOW) }
            }
            guard found == 0, status.st_mode & S_IFMT == S_IFREG, status.st_uid == geteuid(),
                status.st_mtim.tv_sec < time
            else { continue }
            let unlinked = path.withUnsafeBufferPointer { pointer in
                pointer.withMemoryRebound(to: CChar.self) { unlinkat(opened, $0.baseAddress!, 0) }
            }
            if unlinked == 0 { removed.append(String(decoding: name, as: UTF8.self)) }
        }
        return removed
    }

    /// Removes the temporary file; the target stays as it was.
    public func discard() {
        guard !finished else { return }
        finished = true
        close(fileDescriptor)
        unlink(temporaryPath)
    }
}
