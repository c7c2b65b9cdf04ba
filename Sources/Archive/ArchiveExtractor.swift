#if canImport(Glibc)
import Glibc
#endif

/// Unpacks cpio members into a directory, never writing outside it.
///
/// Absolute paths and `..` components are refused, and every directory on the way to a member is
/// opened without following symlinks, so a symlink in the archive cannot redirect later members
/// elsewhere. Existing files in the way are replaced. Hardlink groups are recreated as hardlinks,
/// whichever member carries the data. Modification times are not restored (like `cpio -i`
/// without `-m`); owners are restored only when running as root.
public final class ArchiveExtractor {
    private let root: Int32
    private let destination: String
    private let restoresOwners = geteuid() == 0
    /// First extracted path of each hardlink group.
    private var linkTargets: [LinkKey: [RawPath]] = [:]
    /// Directory permissions are applied last, so a read-only directory can still be filled.
    private var directoryModes: [(components: [RawPath], mode: UInt32)] = []

    private struct LinkKey: Hashable {
        var inode: UInt32
        var device: DeviceNumber
    }

    public init(destination: String) throws {
        root = open(destination, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else { throw ArchiveError.systemError("open directory", destination) }
        self.destination = destination
    }

    deinit { close(root) }

    /// Creates `member`, reading its data from `reader` (which must be positioned at it).
    public func extract(_ member: CpioMember, from reader: CpioReader) throws {
        let components = try safeComponents(of: member.path)
        guard let name = components.last else { return }  // the root directory itself
        let parent = try openDirectory(components.dropLast(), creatingMissing: true, for: member.path)
        defer { close(parent) }

        switch member.fileType {
        case .directory:
            try makeDirectory(name, in: parent, path: member.path)
            try restoreOwner(of: member, name: name, in: parent)
            directoryModes.append((components, member.permissions))
        case .regular:
            try extractFile(member, components: components, in: parent, from: reader)
        case .symlink:
            try removeExisting(name, in: parent, path: member.path)
            let target = member.symlinkTarget ?? RawPath(bytes: [])
            let status = target.withCString { target in name.withCString { symlinkat(target, parent, $0) } }
            guard status == 0 else { throw ArchiveError.systemError("create symlink", member.path.description) }
            try restoreOwner(of: member, name: name, in: parent)
        case .characterDevice, .blockDevice, .fifo, .socket:
            try removeExisting(name, in: parent, path: member.path)
            let device = dev_t(member.representedDevice.combined)
            let status = name.withCString { mknodat(parent, $0, mode_t(member.mode), device) }
            guard status == 0 else { throw ArchiveError.systemError("create special file", member.path.description) }
            try restoreOwner(of: member, name: name, in: parent)
            try setPermissions(member.permissions, of: name, in: parent, path: member.path)
        case .unknown(let bits):
            throw ArchiveError.refusedMember(
                path: member.path.description, reason: "unknown file type \(String(bits, radix: 8))")
        }
    }

    /// Applies the directories' permissions, deepest first.
    public func finish() throws {
        for (components, mode) in directoryModes.reversed() {
            let parent = try openDirectory(components.dropLast(), creatingMissing: false, for: join(components))
            defer { close(parent) }
            try setPermissions(mode, of: components.last!, in: parent, path: join(components))
        }
        directoryModes.removeAll()
    }

    private func extractFile(
        _ member: CpioMember, components: [RawPath], in parent: Int32, from reader: CpioReader
    ) throws {
        let name = components.last!
        let key = LinkKey(inode: member.inode, device: member.device)
        let isLinked = member.linkCount > 1

        if isLinked, let existing = linkTargets[key], existing != components {
            let existingParent = try openDirectory(existing.dropLast(), creatingMissing: false, for: join(existing))
            defer { close(existingParent) }
            // GNU cpio stores a group's data on its last member: fill the file created earlier.
            if member.size > 0 {
                try writeContents(of: member, to: existing.last!, in: existingParent, path: join(existing),
                                  from: reader, replacing: false)
            }
            try removeExisting(name, in: parent, path: member.path)
            let status = existing.last!.withCString { old in
                name.withCString { linkat(existingParent, old, parent, $0, 0) }
            }
            guard status == 0 else { throw ArchiveError.systemError("create hardlink", member.path.description) }
            return
        }
        try writeContents(of: member, to: name, in: parent, path: member.path, from: reader, replacing: true)
        if isLinked { linkTargets[key] = components }
    }

    private func isRegularFile(_ name: RawPath, in parent: Int32) -> Bool {
        var status = stat()
        return name.withCString { fstatat(parent, $0, &status, AT_SYMLINK_NOFOLLOW) } == 0 && status.st_mode & S_IFMT == S_IFREG
    }

    private func writeContents(
        of member: CpioMember, to name: RawPath, in parent: Int32, path: RawPath, from reader: CpioReader,
        replacing: Bool
    ) throws {
        if replacing { try removeExisting(name, in: parent, path: path) }
        // Filling a hardlink group's first file: a later member may have put a device or a FIFO
        // under that name, and its data must never be written into one (nor wait on a FIFO).
        if !replacing, !isRegularFile(name, in: parent) { throw ArchiveError.refusedMember(path: path.description, reason: "a later member replaced this hardlinked file with one that is not a regular file") }
        let flags = O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | (replacing ? O_EXCL : 0)
        let file = name.withCString { openat(parent, $0, flags, 0o600) }
        guard file >= 0 else { throw ArchiveError.systemError("create", path.description) }
        defer { close(file) }
        var opened = stat()
        guard fstat(file, &opened) == 0, opened.st_mode & S_IFMT == S_IFREG else {
            throw ArchiveError.refusedMember(path: path.description, reason: "a later member replaced this hardlinked file with one that is not a regular file")
        }
        try reader.readData { chunk in
            guard writeAllBytes(file, chunk) else { throw ArchiveError.systemError("write", path.description) }
        }
        // Owner before permissions: chown clears setuid and setgid bits.
        if restoresOwners {
            guard fchown(file, member.uid, member.gid) == 0 else {
                throw ArchiveError.systemError("change the owner of", path.description)
            }
        }
        guard fchmod(file, mode_t(member.permissions)) == 0 else {
            throw ArchiveError.systemError("set permissions of", path.description)
        }
    }

    /// Must come before setting permissions: chown clears setuid and setgid bits.
    private func restoreOwner(of member: CpioMember, name: RawPath, in parent: Int32) throws {
        guard restoresOwners else { return }
        let status = name.withCString { fchownat(parent, $0, member.uid, member.gid, AT_SYMLINK_NOFOLLOW) }
        guard status == 0 else { throw ArchiveError.systemError("change the owner of", member.path.description) }
    }

    private func makeDirectory(_ name: RawPath, in parent: Int32, path: RawPath) throws {
        if fileType(of: name, in: parent) == S_IFDIR { return }
        try removeExisting(name, in: parent, path: path)
        let status = name.withCString { mkdirat(parent, $0, 0o700) }
        guard status == 0 else { throw ArchiveError.systemError("create directory", path.description) }
    }

    /// Opens the directory at `components` below the root, refusing to pass through symlinks.
    private func openDirectory(
        _ components: ArraySlice<RawPath>, creatingMissing: Bool, for path: RawPath
    ) throws -> Int32 {
        var current = fcntl(root, F_DUPFD_CLOEXEC, 0)
        guard current >= 0 else { throw ArchiveError.systemError("open directory", destination) }
        var walked: [RawPath] = []
        for component in components {
            walked.append(component)
            let openFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
            var next = component.withCString { openat(current, $0, openFlags) }
            if next < 0 && errno == ENOENT && creatingMissing {
                _ = component.withCString { mkdirat(current, $0, 0o755) }
                next = component.withCString { openat(current, $0, openFlags) }
            }
            if next < 0 {
                let error = errno
                defer { close(current) }
                guard error == ELOOP || error == ENOTDIR else {
                    throw ArchiveError.system(operation: "open directory", path: join(walked).description, errno: error)
                }
                let what = fileType(of: component, in: current) == S_IFLNK ? "a symlink" : "not a directory"
                throw ArchiveError.refusedMember(path: path.description, reason: "'\(join(walked))' is \(what)")
            }
            close(current)
            current = next
        }
        return current
    }

    /// Makes room for a new member: files and symlinks are unlinked, empty directories removed.
    private func removeExisting(_ name: RawPath, in parent: Int32, path: RawPath) throws {
        guard let type = fileType(of: name, in: parent) else { return }
        let flags = type == S_IFDIR ? AT_REMOVEDIR : 0
        let status = name.withCString { unlinkat(parent, $0, flags) }
        guard status == 0 else { throw ArchiveError.systemError("replace", path.description) }
    }

    private func fileType(of name: RawPath, in parent: Int32) -> mode_t? {
        var status = stat()
        let result = name.withCString { fstatat(parent, $0, &status, AT_SYMLINK_NOFOLLOW) }
        return result == 0 ? status.st_mode & S_IFMT : nil
    }

    private func setPermissions(_ mode: UInt32, of name: RawPath, in parent: Int32, path: RawPath) throws {
        let status = name.withCString { fchmodat(parent, $0, mode_t(mode), 0) }
        guard status == 0 else { throw ArchiveError.systemError("set permissions of", path.description) }
    }

    /// The path's components below the destination, or an error if it would leave it.
    private func safeComponents(of path: RawPath) throws -> [RawPath] {
        if path.bytes.first == UInt8(ascii: "/") {
            throw ArchiveError.refusedMember(path: path.description, reason: "absolute path")
        }
        let components = path.components.filter { $0 != "." }
        if components.contains("..") {
            throw ArchiveError.refusedMember(path: path.description, reason: "path contains '..'")
        }
        return components
    }

    private func join(_ components: some Collection<RawPath>) -> RawPath {
        components.reduce(RawPath(bytes: [])) { $0.appending($1) }
    }

    }
