#if canImport(Glibc)
import Glibc
#endif
import Support

/// A symlink inside the sysroot that points out of it: following it would read host files.
public struct SysrootPathError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The path being resolved.
    public let path: String
    /// The symlink (as seen inside the sysroot) whose target leaves it; nil when `..` in the
    /// path itself climbs above the sysroot.
    public let symlink: String?
    public let target: String?
    public let sysroot: String

    public var description: String {
        guard let symlink, let target else { return "\(path): '..' leads outside the sysroot \(sysroot)" }
        return "\(path): symlink \(symlink) -> \(target) leads outside the sysroot \(sysroot)"
    }
}

/// Resolves absolute paths inside a sysroot as the kernel would inside a chroot there: component by
/// component, with absolute symlink targets taken relative to the sysroot. Doing it ourselves (rather
/// than letting open() follow links) is what keeps `lib -> /usr/lib` from reading the host's /usr/lib.
struct SysrootPaths: Sendable {
    /// The kernel gives up after 40 links (ELOOP); so do we.
    static let symlinkLimit = 40

    /// No trailing slash; empty for the host.
    let sysroot: String
    /// Directories already resolved, when the caller has said the tree holds still.
    let remembered: RememberedDirectories?

    init(sysroot: String, remembering remembered: RememberedDirectories? = nil) {
        var root = sysroot
        while root.hasSuffix("/") { root.removeLast() }
        self.sysroot = root
        self.remembered = remembered
    }

    var isHost: Bool { sysroot.isEmpty }

    /// Where an in-sysroot path is on the host, without resolving anything.
    func hostPath(_ path: String) -> String { sysroot + path }

    /// The in-sysroot path of `path` with every symlink resolved, or nil when it does not exist
    /// (or cannot be reached: a dangling link, a symlink loop, a file used as a directory).
    /// A `..` that would climb above the sysroot is refused (it throws), whether written in `path`
    /// or in a symlink's target: a chroot would stop it at the root, but asking for it is a sign
    /// of a path meant for the host. On the host itself it stops at `/`.
    func resolve(_ path: String) throws(SysrootPathError) -> String? {
        guard let remembered, remembered.isActive, let (parent, name) = PathText.directoryAndName(of: path) else {
            return try walk(path, from: .root)?.resolved
        }
        if let known = remembered[path] { return known.resolved }
        // Installing a file resolves its directory again and again (is it there, where to copy
        // it, each library of each executable): the directory's walk is done once.
        let directory = String(parent)
        let start: Walk
        if let known = remembered[directory] {
            start = known
        } else {
            // Errors name the whole path asked for, as a walk of all of it would.
            guard let walked = try walk(path, components: PathText.components(of: directory), from: .root),
                walked.isDirectory
            else { return nil }
            remembered[directory] = walked
            start = walked
        }
        guard let walked = try walk(path, components: [name], from: start) else { return nil }
        if walked.isDirectory { remembered[path] = walked }
        return walked.resolved
    }

    /// Where a walk has got to: the path resolved so far, "/a/b" ("" for the root), what it is,
    /// and how many links it followed to get there.
    struct Walk {
        var path: String
        var isDirectory: Bool
        var linksFollowed: Int

        static let root = Walk(path: "", isDirectory: true, linksFollowed: 0)
        var resolved: String { path.isEmpty ? "/" : path }
    }

    private func walk(_ path: String, from start: Walk) throws(SysrootPathError) -> Walk? {
        try walk(path, components: PathText.components(of: path), from: start)
    }

    /// Walks `components` (of `path`, named in errors) from `start`, component by component.
    private func walk(_ path: String, components: [Substring], from start: Walk) throws(SysrootPathError) -> Walk? {
        // The path resolved so far, kept as one string: joining the components anew for every
        // lstat made this the installer's costliest function.
        var resolved = start.path
        var isDirectory = start.isDirectory
        // Components still to walk, last one first, each remembering the symlink it came from.
        var pending: [(name: Substring, link: (path: String, target: String)?)] = components.reversed().map { ($0, nil) }
        var linksFollowed = start.linksFollowed

        while let (name, link) = pending.popLast() {
            if name == "." { continue }
            if name == ".." {
                guard let slash = PathText.lastSlash(in: resolved) else {
                    if !isHost {
                        throw SysrootPathError(path: path, symlink: link?.path, target: link?.target, sysroot: sysroot)
                    }
                    continue
                }
                resolved.removeSubrange(slash...)
                isDirectory = true
                continue
            }
            let current = resolved + "/" + name
            var status = stat()
            guard lstat(hostPath(current), &status) == 0 else { return nil }
            switch status.st_mode & S_IFMT {
            case S_IFLNK:
                linksFollowed += 1
                guard linksFollowed <= Self.symlinkLimit, let target = readLink(hostPath(current)) else { return nil }
                // A library's link names its file in a directory already resolved (libc.so.6 ->
                // /usr/lib/x86_64-linux-gnu/libc.so.6): that walk was done once.
                if let known = rememberedDirectory(of: target, linkedFrom: resolved) {
                    resolved = known.walk.path
                    linksFollowed += known.walk.linksFollowed
                    pending.append((known.name, (current, target)))
                    continue
                }
                if target.hasPrefix("/") { resolved = "" }
                pending.append(contentsOf: PathText.components(of: target).reversed().map { ($0, (current, target)) })
            case S_IFDIR:
                resolved = current
                isDirectory = true
            default:
                // A file can only be the last component (`file/.` is ENOTDIR, as in the kernel).
                guard pending.isEmpty else { return nil }
                resolved = current
                isDirectory = false
            }
        }
        return Walk(path: resolved, isDirectory: isDirectory, linksFollowed: linksFollowed)
    }

    /// The remembered walk of a link target's directory, taken from `directory` (resolved, where
    /// the link is), and the target's last name; nil when not remembered.
    private func rememberedDirectory(of target: String, linkedFrom directory: String) -> (walk: Walk, name: Substring)? {
        guard let remembered, remembered.isActive, let (parent, name) = PathText.directoryAndName(of: target) else {
            return nil
        }
        let textual = target.hasPrefix("/") ? String(parent) : directory + "/" + parent
        return remembered[textual].map { ($0, name) }
    }

    /// The names in an in-sysroot directory, sorted; empty when it is missing or unreadable.
    func directoryEntries(_ directory: String) throws(SysrootPathError) -> [String] {
        guard let resolved = try resolve(directory), let stream = opendir(hostPath(resolved)) else { return [] }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in PathBytes.string(raw.prefix { $0 != 0 }) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}

/// The directories a `SysrootPaths` has resolved, remembered only while `isActive`: between
/// `begin()` and `end()`, a stretch in which nothing but the installer changes the tree, and it
/// only adds to it. Module code runs outside those stretches; `end()` forgets everything.
final class RememberedDirectories: @unchecked Sendable {
    private let lock = Lock()
    private var walks: [String: SysrootPaths.Walk] = [:]
    private var depth = 0

    var isActive: Bool { lock.withLock { depth > 0 } }

    subscript(directory: String) -> SysrootPaths.Walk? {
        get { lock.withLock { walks[directory] } }
        set { lock.withLock { if depth > 0 { walks[directory] = newValue } } }
    }

    /// Stretches nest: the outermost `end()` forgets.
    func begin() { lock.withLock { depth += 1 } }

    func end() {
        lock.withLock {
            depth -= 1
            if depth == 0 { walks.removeAll(keepingCapacity: true) }
        }
    }
}

/// Directory and file name of a path the way the loader splits them (no normalisation).
/// Paths are bytes to the kernel: they are split at "/" bytes, never at Characters, which also
/// spares the grapheme breaking that made splitting the installer's costliest string work.
enum PathText {
    static func directory(of path: String) -> String {
        guard let slash = lastSlash(in: path) else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func lastSlash(in path: String) -> String.Index? {
        path.utf8.lastIndex(of: UInt8(ascii: "/"))
    }

    /// What precedes the last "/" and the name after it, when there is something before it and
    /// the name is one a walk can remember: not empty, `.` or `..`.
    static func directoryAndName(of path: String) -> (directory: Substring, name: Substring)? {
        guard let slash = lastSlash(in: path), slash != path.startIndex else { return nil }
        let name = path[path.index(after: slash)...]
        guard !name.isEmpty, name != ".", name != ".." else { return nil }
        return (path[..<slash], name)
    }

    /// What follows the last "/" (the whole path when it has none).
    static func lastComponent(of path: String) -> Substring {
        guard let slash = lastSlash(in: path) else { return path[...] }
        return path[path.index(after: slash)...]
    }

    /// The components between slashes, empty ones left out.
    static func components(of path: String) -> [Substring] {
        path.utf8.split(separator: UInt8(ascii: "/")).map { Substring($0) }
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
