#if canImport(Glibc)
import Glibc
#endif
// Support's stat, access and opendir take a String's raw bytes (PathBytes): --kmoddir (drivers_dir)
// need not be UTF-8.
import Support

/// The module files of an `=subdir` argument: everything under kernel/SUBDIR, extra/SUBDIR and
/// updates/SUBDIR of the module directory, following symlinks as dracut-install's fts walk does.
/// Directories that the path filters reject are not entered.
struct ModuleTreeWalk {
    let moduleDirectory: String
    let filter: ModuleFilter

    /// Host paths of the module files, each tree in name order.
    func files(under subdirectory: String) -> [String] {
        var relative = subdirectory
        while relative.hasSuffix("/") { relative.removeLast() }
        while relative.hasPrefix("/") { relative.removeFirst() }
        var found: [String] = []
        var visited: Set<DirectoryIdentity> = []
        for tree in ["extra", "kernel", "updates"] {
            let root = moduleDirectory + "/" + tree + (relative.isEmpty ? "" : "/" + relative)
            walk(root, into: &found, visited: &visited)
        }
        return found
    }

    private func walk(_ directory: String, into found: inout [String], visited: inout Set<DirectoryIdentity>) {
        var status = stat()
        guard stat(directory, &status) == 0, status.st_mode & S_IFMT == S_IFDIR,
            visited.insert(DirectoryIdentity(device: status.st_dev, inode: status.st_ino)).inserted,
            filter.accepts(path: directory)
        else { return }
        for name in Self.entries(of: directory) {
            let path = directory + "/" + name
            guard stat(path, &status) == 0 else { continue }
            switch status.st_mode & S_IFMT {
            case S_IFDIR: walk(path, into: &found, visited: &visited)
            case S_IFREG where Self.isModuleFile(name): found.append(path)
            default: break
            }
        }
    }

    /// Whether any module file lies under `directory` (stops at the first).
    static func containsModule(under directory: String) -> Bool {
        for name in entries(of: directory) {
            let path = directory + "/" + name
            var status = stat()
            guard lstat(path, &status) == 0 else { continue }
            if status.st_mode & S_IFMT == S_IFDIR ? containsModule(under: path) : isModuleFile(name) { return true }
        }
        return false
    }

    /// The module files anywhere under `directory`, relative to it, in name order; symlinks are
    /// not followed (the image's own tree, as depmod -b lists it).
    static func moduleFiles(under directory: String, prefix: String = "") -> [String] {
        var found: [String] = []
        for name in entries(of: directory) {
            var status = stat()
            guard lstat(directory + "/" + name, &status) == 0 else { continue }
            switch status.st_mode & S_IFMT {
            case S_IFDIR: found += moduleFiles(under: directory + "/" + name, prefix: prefix + name + "/")
            case S_IFREG where isModuleFile(name): found.append(prefix + name)
            default: break
            }
        }
        return found
    }

    /// .ko, .ko.xz, .ko.gz, .ko.zst: other files in the tree are not modules.
    static func isModuleFile(_ name: String) -> Bool {
        name.hasSuffix(".ko") || name.contains(".ko.")
    }

    private static func entries(of directory: String) -> [String] {
        guard let stream = opendir(directory) else { return [] }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { PathBytes.string($0.prefix { $0 != 0 }) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted { PathBytes.bytes($0).lexicographicallyPrecedes(PathBytes.bytes($1)) }
    }

    private struct DirectoryIdentity: Hashable {
        let device: dev_t
        let inode: ino_t
    }
}
