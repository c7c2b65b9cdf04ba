#if canImport(Glibc)
import Glibc
#endif
import Support

/// `ln -sfnr SOURCE LINK` without the process, for dracut's `ln_r` (busybox's applets are one
/// each): the link's text is SOURCE relative to LINK's directory, both first made canonical as
/// GNU ln does (symlinks on the host followed, missing components kept), so the text is the same
/// bytes ln would write.
public enum RelativeSymlink {
    /// What `ln -sfnr` does at LINK; `nil` when LINK is a directory, where ln puts the link inside
    /// it: the caller leaves that to ln itself.
    public enum Outcome: Equatable {
        case made
        case failed(String)
    }

    public static func make(pointingAt source: String, at link: String) -> Outcome? {
        var status = stat()
        if lstat(link, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR { return nil }
        let text = text(pointingAt: source, from: link)
        if symlink(text, link) == 0 { return .made }
        // -f: what is there goes, replaced as ln replaces it.
        guard errno == EEXIST, replaceWithSymlink(link, target: text) == 0 else { return .failed(failure(link)) }
        return .made
    }

    /// SOURCE relative to the directory of LINK (both absolute), as `ln -r` computes it.
    public static func text(pointingAt source: String, from link: String) -> String {
        let directory = canonical(parentDirectory(of: link))
        let target = canonical(source)
        return relative(target, to: directory)
    }

    private static func failure(_ link: String) -> String {
        "ln_r: cannot make the symbolic link '\(link)': \(String(cString: strerror(errno)))"
    }

    /// dirname(1) of an absolute path.
    static func parentDirectory(of path: String) -> String {
        var bytes = Array(path.utf8)
        while bytes.count > 1 && bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        while let last = bytes.last, last != UInt8(ascii: "/") { bytes.removeLast() }
        while bytes.count > 1 && bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        return bytes.isEmpty ? "." : PathBytes.string(bytes)
    }

    /// An absolute path with `.`, `..` and every symlink that exists resolved; components that do
    /// not exist are kept as they are (canonicalize_filename_mode with CAN_MISSING).
    static func canonical(_ path: String) -> String {
        var resolved: [String] = []
        var pending = components(of: path).reversed() as [String]
        var links = 0
        while let component = pending.popLast() {
            if component == "." { continue }
            if component == ".." {
                if !resolved.isEmpty { resolved.removeLast() }
                continue
            }
            resolved.append(component)
            let current = "/" + resolved.joined(separator: "/")
            guard links < 40, let target = readLink(current) else { continue }
            links += 1
            resolved.removeLast()
            if target.hasPrefix("/") { resolved.removeAll() }
            pending.append(contentsOf: components(of: target).reversed())
        }
        return "/" + resolved.joined(separator: "/")
    }

    /// TARGET relative to DIRECTORY, both canonical: up to their common directory, then down.
    /// Not the installer's `relativePath(from:to:)`, which always keeps the target's last name
    /// ("../bin" for the directory itself): ln writes "." there, and ".." for a parent.
    static func relative(_ target: String, to directory: String) -> String {
        let from = components(of: directory), to = components(of: target)
        var common = 0
        while common < from.count && common < to.count && from[common] == to[common] { common += 1 }
        let up = Array(repeating: "..", count: from.count - common)
        let down = Array(to[common...])
        let parts = up + down
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    private static func components(of path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }
}
