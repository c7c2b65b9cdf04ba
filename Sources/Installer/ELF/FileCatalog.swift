#if canImport(Glibc)
import Glibc
#endif
import Support

/// Device and inode: the loader treats two paths to the same file as one object.
struct FileIdentity: Hashable {
    let device: UInt64
    let inode: UInt64
}

/// A file the loader could open, under the name it would open it by.
struct LocatedFile {
    /// The path as the loader forms it (as ldd prints it): possibly through symlinks or `..`.
    let path: String
    /// The same file with every symlink resolved, inside the sysroot.
    let canonicalPath: String
    let identity: FileIdentity
    let elf: ELFFile
}

/// Remembers, for one build, every path looked up and every file parsed, so each ELF file is
/// parsed at most once however many programs need it. Not thread-safe: its owner serialises access.
final class FileCatalog {
    enum Lookup {
        case found(LocatedFile)
        case absent
        /// The path exists but is not a readable ELF file.
        case unusable(ELFError)
    }

    let paths: SysrootPaths
    private var lookups: [String: Lookup] = [:]
    private var parsedFiles: [String: Result<ELFFile, ELFError>] = [:]
    private var directoryListings: [String: [String]] = [:]
    /// How many files have been parsed; lets tests check the cache.
    private(set) var parseCount = 0

    init(paths: SysrootPaths) { self.paths = paths }

    /// Looks `path` (absolute, in the sysroot) up, parsing the file it names.
    func lookUp(_ path: String) throws(SysrootPathError) -> Lookup {
        if let known = lookups[path] { return known }
        let lookup = try freshLookUp(path)
        lookups[path] = lookup
        return lookup
    }

    /// The names in a directory of the sysroot, sorted.
    func entries(of directory: String) throws(SysrootPathError) -> [String] {
        if let known = directoryListings[directory] { return known }
        let names = try paths.directoryEntries(directory)
        directoryListings[directory] = names
        return names
    }

    private func freshLookUp(_ path: String) throws(SysrootPathError) -> Lookup {
        guard let canonical = try paths.resolve(path) else { return .absent }
        let elf: ELFFile
        switch parse(canonical) {
        case .failure(let error): return .unusable(error)
        case .success(let parsed): elf = parsed
        }
        var status = stat()
        guard stat(paths.hostPath(canonical), &status) == 0 else { return .absent }
        let identity = FileIdentity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
        return .found(LocatedFile(path: path, canonicalPath: canonical, identity: identity, elf: elf))
    }

    private func parse(_ canonicalPath: String) -> Result<ELFFile, ELFError> {
        if let known = parsedFiles[canonicalPath] { return known }
        parseCount += 1
        let hostPath = paths.hostPath(canonicalPath)
        // Errors name the path inside the sysroot, which is what the user asked about.
        let result = Result { () throws(ELFError) in try ELFFile(contentsOf: hostPath) }
            .mapError { ELFError(path: canonicalPath, reason: $0.reason) }
        parsedFiles[canonicalPath] = result
        return result
    }
}
