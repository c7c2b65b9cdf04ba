/// An object already in the dependency graph, as the search sees it.
struct SearchingObject {
    let elf: ELFFile
    /// `$ORIGIN`: the directory of the object, as the loader names it.
    let origin: String
}

/// Finds the file the loader would load for a DT_NEEDED name, in glibc's order:
/// 1. a name containing `/` is a path (after token expansion), not searched for;
/// 2. DT_RPATH of the requesting object, then of each object up its loading chain to the main
///    program, but only when the requesting object has no DT_RUNPATH (LD_LIBRARY_PATH, which comes
///    next for the loader, belongs to the build host's environment and is ignored);
/// 3. DT_RUNPATH of the requesting object alone;
/// 4. unless the requester is linked with `-z nodefaultlib`: /etc/ld.so.cache, then the directories
///    of /etc/ld.so.conf, then the loader's default directories (see `LoaderPlatform`).
///
/// Why both the cache and ld.so.conf: the loader itself only reads the cache, so reading it is the
/// way to print exactly what ldd prints (ldconfig's ordering of duplicate sonames, and only names it
/// indexed). But a sysroot may have no cache (never ran ldconfig, or built for another machine), or
/// a stale one that lacks a newly installed library; walking the ld.so.conf directories after the
/// cache covers that, as ldconfig would once run. A cache entry whose file is gone is skipped.
///
/// A candidate is accepted only when it is an ELF file of the requester's class, byte order and
/// machine; otherwise the search goes on, as the loader's does. Legacy hwcap subdirectories (`tls`,
/// `haswell`, `x86_64`, removed in glibc 2.37) are not searched; glibc-hwcaps variants are handled by
/// `hardwareCapabilityVariants(of:named:)`.
final class LibrarySearch {
    struct Result {
        var file: LocatedFile?
        /// Candidates rejected because they could not be parsed.
        var unusable: [ELFError] = []
    }

    let catalog: FileCatalog
    private var paths: SysrootPaths { catalog.paths }
    private var loadedCache: LoaderCache??
    private var loadedConfiguration: [String]?
    private var platforms: [PlatformKey: LoaderPlatform] = [:]

    init(catalog: FileCatalog) { self.catalog = catalog }

    /// - Parameter chain: the requesting object first, then the object that loaded it, and so on up
    ///   to the main program.
    func find(_ name: String, for chain: [SearchingObject]) throws(SysrootPathError) -> Result {
        let requester = chain[0]
        var result = Result()
        // One loop that breaks, rather than a return per search step: Swift 6.3.1 at -O loses a
        // large local struct's mutations when it is returned from inside a loop.
        for path in try candidatePaths(for: name, chain) {
            switch try catalog.lookUp(path) {
            case .found(let file) where file.elf.isLoadable(by: requester.elf): result.file = file
            case .unusable(let error): result.unusable.append(error)
            case .found, .absent: break
            }
            if result.file != nil { break }
        }
        return result
    }

    /// Every path the loader would try for `name`, in order.
    private func candidatePaths(for name: String, _ chain: [SearchingObject]) throws(SysrootPathError) -> [String] {
        let requester = chain[0]
        let platform = try self.platform(for: requester.elf)
        if name.utf8.contains(UInt8(ascii: "/")) {
            guard let path = platform.expandTokens(in: name, origin: requester.origin), path.hasPrefix("/") else {
                return []
            }
            return [path]
        }
        var directories: [String] = []
        if requester.elf.runpath == nil {
            for object in chain {
                directories += searchPath(object.elf.effectiveRPath, origin: object.origin, platform)
            }
        }
        directories += searchPath(requester.elf.runpath, origin: requester.origin, platform)
        var paths = directories.map { PathText.join($0, name) }
        guard !requester.elf.ignoresDefaultLibraryPaths else { return paths }
        paths += try loaderCache()?.paths(for: name) ?? []
        paths += try (configuredDirectories() + platform.defaultDirectories).map { PathText.join($0, name) }
        return paths
    }

    /// The glibc-hwcaps copies of a library found in directory D: `D/glibc-hwcaps/*/name`, e.g.
    /// `/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libfoo.so.1`.
    ///
    /// The loader picks the best one the running CPU supports, so ldd shows one that depends on the
    /// build machine. The image may boot on another CPU, so the baseline library is always the
    /// result and every variant present is added after it: the loader in the image then finds the
    /// same choice it has on a real system. (dracut installs ldd's pick plus the baseline copy.)
    func hardwareCapabilityVariants(of library: LocatedFile, named name: String) throws(SysrootPathError)
        -> [LocatedFile]
    {
        let directory = PathText.join(PathText.directory(of: library.path), "glibc-hwcaps")
        var variants: [LocatedFile] = []
        for level in try catalog.entries(of: directory) {
            let path = PathText.join(PathText.join(directory, level), name)
            if case .found(let variant) = try catalog.lookUp(path), variant.elf.isLoadable(by: library.elf) {
                variants.append(variant)
            }
        }
        return variants
    }

    func platform(for file: ELFFile) throws(SysrootPathError) -> LoaderPlatform {
        let key = PlatformKey(fileClass: file.fileClass, endianness: file.endianness, machine: file.machine)
        if let known = platforms[key] { return known }
        let platform = try LoaderPlatform(for: file, in: paths)
        platforms[key] = platform
        return platform
    }

    /// The absolute directories of a DT_RPATH or DT_RUNPATH string. Empty and relative elements
    /// would be searched relative to the loader's working directory, which we cannot know: skipped.
    private func searchPath(_ list: String?, origin: String, _ platform: LoaderPlatform) -> [String] {
        guard let list else { return [] }
        return list.split(separator: ":").compactMap { element in
            guard var directory = platform.expandTokens(in: String(element), origin: origin),
                directory.hasPrefix("/")
            else { return nil }
            while directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
            return directory
        }
    }

    private func loaderCache() throws(SysrootPathError) -> LoaderCache? {
        if let loadedCache { return loadedCache }
        var cache: LoaderCache?
        if let path = try paths.resolve("/etc/ld.so.cache"),
            let reader = try? BoundedFileReader(path: paths.hostPath(path)),
            let bytes = try? reader.bytes(at: 0, count: reader.size, part: "loader cache")
        {
            cache = LoaderCache(bytes: bytes)
        }
        loadedCache = .some(cache)
        return cache
    }

    private func configuredDirectories() throws(SysrootPathError) -> [String] {
        if let loadedConfiguration { return loadedConfiguration }
        let directories = try LoaderConfiguration(paths: paths).directories
        loadedConfiguration = directories
        return directories
    }
}

private struct PlatformKey: Hashable {
    let fileClass: ELFFile.Class
    let endianness: ELFFile.Endianness
    let machine: ELFFile.Machine
}
