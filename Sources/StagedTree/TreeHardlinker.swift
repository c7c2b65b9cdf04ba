#if canImport(Glibc)
import Glibc
#endif
import Archive

/// dracut's `hardlink $initdir` done on the tree itself, for a tree that another tool archives:
/// squash's tree goes to mksquashfs, which stores the hard links it finds on disk. Files are
/// grouped by the same rules as the archive's own linking (`ArchivePolish.linkIdenticalFiles`:
/// size, mode, time and content), and every file of a group becomes a link to the first.
public struct TreeHardlinker {
    public let root: String

    public init(root: String) { self.root = root }

    /// Returns how many files became links.
    @discardableResult
    public func linkIdenticalFiles() throws -> Int {
        var entries = try TreeScanner(root: root).entries()
        try ArchivePolish.linkIdenticalFiles(&entries)
        var firstOfGroup: [HardlinkIdentity: RawPath] = [:]
        var linked = 0
        for entry in entries {
            guard let identity = entry.hardlinkIdentity, case .regularFile(.source(let path)) = entry.kind else { continue }
            guard let first = firstOfGroup[identity] else {
                firstOfGroup[identity] = path
                continue
            }
            if try replace(path, withLinkTo: first) { linked += 1 }
        }
        return linked
    }

    /// Makes `path` a hard link to `first`: the link is made beside it, then renamed over it, so
    /// that the file is never missing. False when it is that file already.
    private func replace(_ path: RawPath, withLinkTo first: RawPath) throws -> Bool {
        var target = stat(), current = stat()
        guard first.withCString({ lstat($0, &target) }) == 0, path.withCString({ lstat($0, &current) }) == 0 else {
            throw StagingError(description: "cannot hardlink \(path): \(String(cString: strerror(errno)))")
        }
        if target.st_dev == current.st_dev && target.st_ino == current.st_ino { return false }
        let temporary = RawPath(bytes: path.bytes + Array(".kindling-link".utf8))
        let made = first.withCString { from in temporary.withCString { link(from, $0) } }
        guard made == 0, temporary.withCString({ from in path.withCString { rename(from, $0) } }) == 0 else {
            let message = String(cString: strerror(errno))
            _ = temporary.withCString { unlink($0) }
            throw StagingError(description: "cannot hardlink \(path) to \(first): \(message)")
        }
        return true
    }
}
