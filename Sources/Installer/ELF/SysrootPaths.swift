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

    init(sysroot: String) {
        var root = sysroot
        while root.hasSuffix("/") { root.removeLast() }
        self.sysroot = root
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
        // The path resolved so far, "/a/b", kept as one string ("" for the root): joining the
        // components anew for every lstat made this the installer's costliest function.
        var resolved = ""
        // Components still to walk, last one first, each remembering the symlink it came from.
        var pending: [(name: Substring, link: (path: String, target: String)?)] =
            path.split(separator: "/").reversed().map { ($0, nil) }
        var linksFollowed = 0

        while let (name, link) = pending.popLast() {
            if name == "." { continue }
            if name == ".." {
                guard let slash = resolved.lastIndex(of: "/") else {
                    if !isHost {
                        throw SysrootPathError(path: path, symlink: link?.path, target: link?.target, sysroot: sysroot)
                    }
                    continue
                }
                resolved.removeSubrange(slash...)
                continue
            }
            let current = resolved + "/" + name
            var status = stat()
            guard lstat(hostPath(current), &status) == 0 else { return nil }
            switch status.st_mode & S_IFMT {
            case S_IFLNK:
                linksFollowed += 1
                guard linksFollowed <= Self.symlinkLimit, let target = readLink(hostPath(current)) else { return nil }
                if target.hasPrefix("/") { resolved = "" }
                pending.append(contentsOf: target.split(separator: "/").reversed().map { ($0, (current, target)) })
            case S_IFDIR:
                resolved = current
            default:
                // A file can only be the last component (`file/.` is ENOTDIR, as in the kernel).
                guard pending.isEmpty else { return nil }
                resolved = current
            }
        }
        return resolved.isEmpty ? "/" : resolved
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

/// Directory and file name of a path the way the loader splits them (no normalisation).
enum PathText {
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
