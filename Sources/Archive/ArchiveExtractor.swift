#if canImport(Glibc)
import Glibc
#endif
import Support

// swift-format-ignore: AlwaysUseLowerCamelCase
private let O_PATH = GNUCalls.pathOnly
// swift-format-ignore: AlwaysUseLowerCamelCase
private let AT_EMPTY_PATH = GNUCalls.emptyPath

/// Unpacks cpio members into a directory, never writing outside it.
///
/// Absolute paths and `..` components are refused, and every directory on the way to a member is
/// opened without following symlinks, so a symlink in the archive cannot redirect later members
/// elsewhere. Existing files in the way are replaced. Hardlink groups are recreated as hardlinks,
/// whichever member carries the data. Modification times are not restored (like `cpio -i`
/// without `-m`); owners are restored only when running as root, and setuid and setgid bits
/// only with them (as bsdtar does).
///
/// A later member can replace what an earlier one made (a directory by a symlink, say), so no
/// step after a member's creation touches it by name: owners and modes are set through a
/// descriptor opened without following links, and only when that descriptor is still the
/// file that was made. Anything else is skipped.
public final class ArchiveExtractor {
    private let root: Int32
    private let destination: String
    private let restoresOwners = geteuid() == 0
    /// First extracted path of each hardlink group, and the file made there.
    private var linkTargets: [LinkKey: (components: [RawPath], made: FileIdentity)] = [:]
    /// Directory permissions are applied last, so a read-only directory can still be filled.
    private var directoryModes: [(components: [RawPath], mode: UInt32?, made: FileIdentity)] = []
    /// Where each directory's mode is in `directoryModes`: a later member for the same directory
    /// sets the mode instead.
    private var directoryModeIndex: [FileIdentity: Int] = [:]

    private struct LinkKey: Hashable {
        var inode: UInt32
        var device: DeviceNumber
    }

    /// Which file a name meant when the extractor made it. The type is part of it: a freed inode
    /// number is soon given to the next file made, a symlink or a FIFO in place of the file
    /// the archive removed. (A file of the same type in its place stays inside the destination.)
    private struct FileIdentity: Hashable {
        var device: UInt64
        var inode: UInt64
        var type: UInt32

        init(_ status: stat) {
            device = UInt64(status.st_dev)
            inode = UInt64(status.st_ino)
            type = status.st_mode & S_IFMT
        }
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
            let directory = try makeDirectory(name, in: parent, path: member.path)
            defer { close(directory) }
            try restoreOwner(of: member, through: directory)
            let made = try identity(of: directory, path: member.path)
            if let earlier = directoryModeIndex[made] { directoryModes[earlier].mode = nil }
            directoryModeIndex[made] = directoryModes.count
            directoryModes.append((components, permissions(of: member), made))
        case .regular:
            try extractFile(member, components: components, in: parent, from: reader)
        case .symlink:
            try removeExisting(name, in: parent, path: member.path)
            let target = member.symlinkTarget ?? RawPath(bytes: [])
            let status = target.withCString { target in name.withCString { symlinkat(target, parent, $0) }
            }
            guard status == 0 else {
                throw ArchiveError.systemError("create symlink", member.path.description)
            }
            guard restoresOwners else { return }
            let link = try openMadeNode(name, in: parent, path: member.path) {
                $0.st_mode & S_IFMT == S_IFLNK
            }
            defer { close(link) }
            try restoreOwner(of: member, through: link)
        case .characterDevice, .blockDevice, .fifo, .socket:
            try removeExisting(name, in: parent, path: member.path)
            let type = mode_t(member.mode) & S_IFMT
            let device = dev_t(member.representedDevice.combined)
            let status = name.withCString { mknodat(parent, $0, type | 0o600, device) }
            guard status == 0 else {
                throw ArchiveError.systemError("create special file", member.path.description)
            }
            let node = try openMadeNode(name, in: parent, path: member.path) { made in
                made.st_mode & S_IFMT == type
                    && (type != S_IFCHR && type != S_IFBLK || made.st_rdev == device)
            }
            defer { close(node) }
            try restoreOwner(of: member, through: node)
            try setPermissions(permissions(of: member), ofNode: node, path: member.path)
        case .unknown(let bits):
            throw ArchiveError.refusedMember(
                path: member.path.description, reason: "unknown file type \(String(bits, radix: 8))")
        }
    }

    /// Applies the directories' permissions, deepest first, to those that are still the
    /// directories made: one a later member replaced (by a symlink, say) is skipped.
    public func finish() throws {
        for case (let components, let mode?, let made) in directoryModes.reversed() {
            guard
                let parent = try? openDirectory(
                    components.dropLast(), creatingMissing: false, for: join(components))
            else { continue }
            defer { close(parent) }
            let directory = components.last!.withCString {
                openat(parent, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            guard directory >= 0 else { continue }
            defer { close(directory) }
            guard (try? identity(of: directory, path: join(components))) == made else { continue }
            guard fchmod(directory, mode_t(mode)) == 0 else {
                throw ArchiveError.systemError("set permissions of", join(components).description)
            }
        }
        directoryModes.removeAll()
        directoryModeIndex.removeAll()
    }

    private func extractFile(
        _ member: CpioMember, components: [RawPath], in parent: Int32, from reader: CpioReader
    ) throws {
        let name = components.last!
        let key = LinkKey(inode: member.inode, device: member.device)
        let isLinked = member.linkCount > 1

        if isLinked, let (existing, made) = linkTargets[key], existing != components {
            let existingParent = try openDirectory(
                existing.dropLast(), creatingMissing: false, for: join(existing))
            defer { close(existingParent) }
            guard fileIdentity(of: existing.last!, in: existingParent) == made else {
                throw ArchiveError.refusedMember(
                    path: member.path.description,
                    reason: "a later member replaced '\(join(existing))', its hardlink")
            }
            // GNU cpio stores a group's data on its last member: fill the file created earlier.
            if member.size > 0 {
                try writeContents(
                    of: member, to: existing.last!, in: existingParent, path: join(existing), from: reader,
                    replacing: made)
            }
            try removeExisting(name, in: parent, path: member.path)
            let status = existing.last!.withCString { old in
                name.withCString { linkat(existingParent, old, parent, $0, 0) }
            }
            guard status == 0 else {
                throw ArchiveError.systemError("create hardlink", member.path.description)
            }
            return
        }
        let made = try writeContents(
            of: member, to: name, in: parent, path: member.path, from: reader, replacing: nil)
        if isLinked { linkTargets[key] = (components, made) }
    }

    /// Writes the member's data to a new file `name`, or into `existing`, the file made earlier
    /// under that name; sets its owner and mode through the descriptor.
    @discardableResult
    private func writeContents(
        of member: CpioMember, to name: RawPath, in parent: Int32, path: RawPath,
        from reader: CpioReader,
        replacing existing: FileIdentity?
    ) throws -> FileIdentity {
        if existing == nil { try removeExisting(name, in: parent, path: path) }
        let flags =
            O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK
            | (existing == nil ? O_EXCL : 0)
        let file = name.withCString { openat(parent, $0, flags, 0o600) }
        guard file >= 0 else { throw ArchiveError.systemError("create", path.description) }
        defer { close(file) }
        // Filling a hardlink group's first file (checked before the open too): the name must
        // still be that file, never a device or a FIFO put in its place.
        var opened = stat()
        guard fstat(file, &opened) == 0, opened.st_mode & S_IFMT == S_IFREG,
            existing == nil || FileIdentity(opened) == existing
        else {
            throw ArchiveError.refusedMember(
                path: path.description, reason: "a later member replaced this file")
        }
        try reader.readData { chunk in
            guard writeAllBytes(file, chunk) else {
                throw ArchiveError.systemError("write", path.description)
            }
        }
        try restoreOwner(of: member, through: file)
        guard fchmod(file, mode_t(permissions(of: member))) == 0 else {
            throw ArchiveError.systemError("set permissions of", path.description)
        }
        return FileIdentity(opened)
    }

    /// The member's permission bits as they may be applied: without an owner restored, no
    /// setuid or setgid bit (the file would be the extracting user's).
    private func permissions(of member: CpioMember) -> UInt32 {
        restoresOwners ? member.permissions : member.permissions & ~UInt32(S_ISUID | S_ISGID)
    }

    /// Must come before setting permissions: chown clears setuid and setgid bits.
    /// `descriptor` may be an O_PATH descriptor (a symlink or a special file).
    private func restoreOwner(of member: CpioMember, through descriptor: Int32) throws {
        guard restoresOwners else { return }
        guard fchownat(descriptor, "", member.uid, member.gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == 0
        else {
            throw ArchiveError.systemError("change the owner of", member.path.description)
        }
    }

    /// Opens what `mknodat` or `symlinkat` just made, as an O_PATH descriptor (opening a device
    /// or a FIFO for reading could have effects), if it is still what `isMade` says was made.
    private func openMadeNode(
        _ name: RawPath, in parent: Int32, path: RawPath, isMade: (stat) -> Bool
    ) throws -> Int32 {
        let node = name.withCString { openat(parent, $0, O_PATH | O_NOFOLLOW | O_CLOEXEC) }
        guard node >= 0 else { throw ArchiveError.systemError("open", path.description) }
        var status = stat()
        guard fstat(node, &status) == 0, isMade(status) else {
            close(node)
            throw ArchiveError.refusedMember(
                path: path.description, reason: "it was replaced while being created")
        }
        return node
    }

    /// chmod through an O_PATH descriptor: Linux has no fchmod for one (fchmodat2 came with
    /// 6.6), but /proc/self/fd names the very file the descriptor holds.
    private func setPermissions(_ mode: UInt32, ofNode node: Int32, path: RawPath) throws {
        var status = stat()
        if fstat(node, &status) == 0 && status.st_mode & 0o7777 == mode_t(mode) { return }
        guard chmod("/proc/self/fd/\(node)", mode_t(mode)) == 0 else {
            throw ArchiveError.systemError("set permissions of", path.description)
        }
    }

    private func identity(of descriptor: Int32, path: RawPath) throws -> FileIdentity {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw ArchiveError.systemError("inspect", path.description)
        }
        return FileIdentity(status)
    }

    private func fileIdentity(of name: RawPath, in parent: Int32) -> FileIdentity? {
        var status = stat()
        let result = name.withCString { fstatat(parent, $0, &status, AT_SYMLINK_NOFOLLOW) }
        return result == 0 ? FileIdentity(status) : nil
    }

    /// Makes (or keeps) the directory `name` and opens it: the descriptor is the directory,
    /// whatever later happens to the name.
    private func makeDirectory(_ name: RawPath, in parent: Int32, path: RawPath) throws -> Int32 {
        if fileType(of: name, in: parent) != S_IFDIR {
            try removeExisting(name, in: parent, path: path)
            let status = name.withCString { mkdirat(parent, $0, 0o700) }
            guard status == 0 else {
                throw ArchiveError.systemError("create directory", path.description)
            }
        }
        let directory = name.withCString {
            openat(parent, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        }
        guard directory >= 0 else { throw ArchiveError.systemError("open directory", path.description) }
        return directory
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
                    throw ArchiveError.system(
                        operation: "open directory", path: join(walked).description, errno: error)
                }
                let what = fileType(of: component, in: current) == S_IFLNK ? "a symlink" : "not a directory"
                throw ArchiveError.refusedMember(
                    path: path.description, reason: "'\(join(walked))' is \(what)")
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
