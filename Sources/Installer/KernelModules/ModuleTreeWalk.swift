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
        for entry in Self.entries(of: directory) {
            let path = directory + "/" + entry.name
            switch entry.typeFollowing(at: path) {
            case DT_DIR: walk(path, into: &found, visited: &visited)
            case DT_REG where Self.isModuleFile(entry.name): found.append(path)
            default: break
            }
        }
    }

    /// Whether any module file lies under `directory` (stops at the first).
    static func containsModule(under directory: String) -> Bool {
        for entry in entries(of: directory) {
            let path = directory + "/" + entry.name
            if entry.typeNotFollowing(at: path) == DT_DIR ? containsModule(under: path) : isModuleFile(entry.name) {
                return true
            }
        }
        return false
    }

    /// The module files anywhere under `directory`, relative to it, in name order; symlinks are
    /// not followed (the image's own tree, as depmod -b lists it).
    static func moduleFiles(under directory: String, prefix: String = "") -> [String] {
        var found: [String] = []
        for entry in entries(of: directory) {
            let path = directory + "/" + entry.name
            switch entry.typeNotFollowing(at: path) {
            case DT_DIR: found += moduleFiles(under: path, prefix: prefix + entry.name + "/")
            case DT_REG where isModuleFile(entry.name): found.append(prefix + entry.name)
            default: break
            }
        }
        return found
    }

    /// .ko, .ko.xz, .ko.gz, .ko.zst: other files in the tree are not modules.
    static func isModuleFile(_ name: String) -> Bool {
        name.hasSuffix(".ko") || name.contains(".ko.")
    }

    /// The entries of `directory` with their types (no stat for each of a module tree's
    /// thousands of entries), in name order.
    private static func entries(of directory: String) -> [DirectoryEntry] {
        (typedDirectoryEntries(directory) ?? [])
            .sorted { PathBytes.bytes($0.name).lexicographicallyPrecedes(PathBytes.bytes($1.name)) }
    }

    private struct DirectoryIdentity: Hashable {
        let device: dev_t
        let inode: ino_t
    }
}
