#if canImport(Glibc)
import Glibc
#endif
import Archive

/// Turns the staged tree into archive entries: every path in byte order (a directory before what
/// it holds), with modes, symlink targets, device numbers and hardlinks as they are on disk.
public struct TreeScanner {
    public let root: String

    public init(root: String) { self.root = root }

    public func entries() throws -> [ArchiveEntry] {
        var result: [ArchiveEntry] = [try entry(for: RawPath("."), at: RawPath(root))]
        try walk(RawPath(bytes: []), into: &result)
        result[1...].sort { $0.path < $1.path }
        return result
    }

    private func walk(_ relative: RawPath, into result: inout [ArchiveEntry]) throws {
        let directory = relative.isEmpty ? RawPath(root) : RawPath(root).appending(relative)
        for name in try names(in: directory) {
            let path = relative.isEmpty ? name : relative.appending(name)
            let entry = try self.entry(for: path, at: RawPath(root).appending(path))
            result.append(entry)
            if entry.kind == .directory { try walk(path, into: &result) }
        }
    }

    private func names(in directory: RawPath) throws -> [RawPath] {
        guard let stream = directory.withCString({ opendir($0) }) else {
            throw StagingError(description: "cannot read the directory \(directory): \(systemErrorText())")
        }
        defer { closedir(stream) }
        var names: [RawPath] = []
        while let entry = readdir(stream) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if bytes != [46] && bytes != [46, 46] { names.append(RawPath(bytes: bytes)) }
        }
        return names
    }

    private func entry(for path: RawPath, at location: RawPath) throws -> ArchiveEntry {
        var status = stat()
        guard location.withCString({ lstat($0, &status) }) == 0 else {
            throw StagingError(description: "cannot stat \(location): \(systemErrorText())")
        }
        let mode = UInt32(status.st_mode & 0o7777)
        let modified = Int64(status.st_mtim.tv_sec)
        let kind: ArchiveEntry.Kind
        var identity: HardlinkIdentity?
        switch status.st_mode & S_IFMT {
        case S_IFDIR: kind = .directory
        case S_IFREG:
            kind = .regularFile(.source(location))
            if status.st_nlink > 1 { identity = HardlinkIdentity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino)) }
        case S_IFLNK: kind = .symlink(target: try linkTarget(location))
        case S_IFCHR: kind = .characterDevice(DeviceNumber(combined: UInt64(status.st_rdev)))
        case S_IFBLK: kind = .blockDevice(DeviceNumber(combined: UInt64(status.st_rdev)))
        case S_IFIFO: kind = .fifo
        default:
            throw StagingError(description: "\(location): sockets cannot go into an image")
        }
        return ArchiveEntry(path: path, kind: kind, mode: mode, modificationTime: modified, hardlinkIdentity: identity)
    }

    private func linkTarget(_ location: RawPath) throws -> RawPath {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = location.withCString { readlink($0, &buffer, buffer.count - 1) }
        guard length >= 0 else { throw StagingError(description: "cannot read the link \(location): \(systemErrorText())") }
        return RawPath(bytes: buffer[0..<length].map { UInt8(bitPattern: $0) })
    }

    private func systemErrorText() -> String { String(cString: strerror(errno)) }
}
