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

    /// Removes the temporary file; the target stays as it was.
    public func discard() {
        guard !finished else { return }
        finished = true
        close(fileDescriptor)
        unlink(temporaryPath)
    }
}
