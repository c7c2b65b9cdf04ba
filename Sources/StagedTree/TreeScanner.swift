#if canImport(Glibc)
import Glibc
#endif
import Archive

/// Turns the staged tree into archive entries: every path in byte order (a directory before what
/// it holds), with modes, symlink targets, device numbers and hardlinks as they are on disk.
public struct TreeScanner {
    public let root: String
    /// Files another process is still writing, left out of `entries()`.
    public let deferred: DeferredFiles?

    public init(root: String, deferring deferred: DeferredFiles? = nil) {
        self.root = root
        self.deferred = deferred
    }

    public func entries() throws -> [ArchiveEntry] {
        var result: [ArchiveEntry] = [try entry(for: RawPath("."), at: RawPath(root))]
        try walk(RawPath(bytes: []), into: &result)
        result[1...].sort { $0.path < $1.path }
        return result
    }

    /// The deferred files as they are now, in byte order: call it once their writer is done.
    public func deferredEntries() throws -> [ArchiveEntry] {
        guard let deferred else { return [] }
        let directory = RawPath(root).appending(deferred.directory)
        return try names(in: directory).filter(deferred.matches).compactMap { name in
            let entry = try self.entry(for: deferred.directory.appending(name), at: directory.appending(name))
            return entry.kind == .directory ? nil : entry
        }.sorted { $0.path < $1.path }
    }

    private func walk(_ relative: RawPath, into result: inout [ArchiveEntry]) throws {
        let directory = relative.isEmpty ? RawPath(root) : RawPath(root).appending(relative)
        let deferredHere = deferred.flatMap { $0.directory == relative ? $0 : nil }
        for name in try names(in: directory) {
            // The writer may rename or replace such a file at any moment, or not have made it yet.
            if let deferredHere, deferredHere.matches(name), !isDirectory(directory.appending(name)) { continue }
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

    private func isDirectory(_ location: RawPath) -> Bool {
        var status = stat()
        return location.withCString { lstat($0, &status) } == 0 && status.st_mode & S_IFMT == S_IFDIR
    }

    private func linkTarget(_ location: RawPath) throws -> RawPath {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = location.withCString { readlink($0, &buffer, buffer.count - 1) }
        guard length >= 0 else { throw StagingError(description: "cannot read the link \(location): \(systemErrorText())") }
        return RawPath(bytes: buffer[0..<length].map { UInt8(bitPattern: $0) })
    }

    private func systemErrorText() -> String { String(cString: strerror(errno)) }
}

/// The files of one directory whose names start with a prefix, other than directories: what
/// depmod writes into the image's module directory (modules.dep, modules.alias.bin, ...), while
/// the rest of the tree is already archived.
public struct DeferredFiles: Sendable {
    /// The directory, relative to the scanned root.
    public let directory: RawPath
    public let namePrefix: [UInt8]

    public init(directory: RawPath, namePrefix: String) {
        self.directory = directory
        self.namePrefix = Array(namePrefix.utf8)
    }

    /// The least path a deferred file can have: the archive holds none of them before it.
    public var firstPath: RawPath { directory.appending(RawPath(bytes: namePrefix)) }

    func matches(_ name: RawPath) -> Bool { name.bytes.starts(with: namePrefix) }
}
