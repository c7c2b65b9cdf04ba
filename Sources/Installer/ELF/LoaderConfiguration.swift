#if canImport(Glibc)
import Glibc
#endif

/// The library directories listed in the sysroot's /etc/ld.so.conf, in order: what ldconfig scans
/// to build ld.so.cache. `include` lines are followed (globs expanded, relative patterns taken from
/// the including file's directory); `hwcap` lines are ignored, as current ldconfig does.
struct LoaderConfiguration {
    static let mainFile = "/etc/ld.so.conf"
    /// Guards against include cycles and absurdly deep nesting.
    private static let includeDepthLimit = 16
    private static let largestFile = 1 << 20

    let directories: [String]

    init(paths: SysrootPaths) throws(SysrootPathError) {
        var reader = Reader(paths: paths)
        try reader.read(Self.mainFile, depth: 0)
        directories = reader.directories
    }

    private struct Reader {
        let paths: SysrootPaths
        var directories: [String] = []
        var seenDirectories: Set<String> = []
        var filesBeingRead: Set<String> = []

        mutating func read(_ file: String, depth: Int) throws(SysrootPathError) {
            guard depth < LoaderConfiguration.includeDepthLimit, let resolved = try paths.resolve(file),
                !filesBeingRead.contains(resolved), let text = contents(ofResolved: resolved)
            else { return }
            filesBeingRead.insert(resolved)
            defer { filesBeingRead.remove(resolved) }

            for rawLine in text.split(whereSeparator: \.isNewline) {
                let line = rawLine.prefix { $0 != "#" }.trimmingBlanks()
                let words = line.split(whereSeparator: \.isWhitespace)
                guard let keyword = words.first else { continue }
                if keyword == "include" {
                    for pattern in words.dropFirst() {
                        for included in try expand(String(pattern), relativeTo: PathText.directory(of: file)) {
                            try read(included, depth: depth + 1)
                        }
                    }
                } else if keyword == "hwcap" {
                    continue
                } else {
                    add(directory: line)
                }
            }
        }

        private mutating func add(directory line: Substring) {
            // Old ldconfig accepted `dir=libtype`; the type is irrelevant to the search.
            var directory = String(line.prefix { $0 != "=" }.trimmingBlanks())
            while directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
            guard directory.hasPrefix("/"), seenDirectories.insert(directory).inserted else { return }
            directories.append(directory)
        }

        private func contents(ofResolved path: String) -> String? {
            guard let reader = try? BoundedFileReader(path: paths.hostPath(path)),
                let bytes = try? reader.prefix(LoaderConfiguration.largestFile)
            else { return nil }
            return String(decoding: bytes, as: UTF8.self)
        }

        /// The in-sysroot files an include pattern names, sorted as glob(3) sorts them.
        private func expand(_ pattern: String, relativeTo directory: String) throws(SysrootPathError) -> [String] {
            let absolute = pattern.hasPrefix("/") ? pattern : PathText.join(directory, pattern)
            guard absolute.contains(where: { "*?[".contains($0) }) else { return [absolute] }
            let parent = PathText.directory(of: absolute)
            let namePattern = String(absolute[absolute.index(after: absolute.lastIndex(of: "/")!)...])
            if parent.contains(where: { "*?[".contains($0) }) {
                // Wildcards in directory names are rare enough to leave to glob(3) on the host path.
                return hostGlob(absolute)
            }
            return try paths.directoryEntries(parent)
                .filter { fnmatch(namePattern, $0, FNM_PERIOD) == 0 }
                .map { PathText.join(parent, $0) }
        }

        private func hostGlob(_ pattern: String) -> [String] {
            var matches = glob_t()
            defer { globfree(&matches) }
            guard glob(paths.hostPath(pattern), 0, nil, &matches) == 0 else { return [] }
            return (0..<Int(matches.gl_pathc)).compactMap { index in
                matches.gl_pathv[index].map { String(cString: $0) }
            }.map { String($0.dropFirst(paths.sysroot.count)) }
        }
    }
}

extension Substring {
    fileprivate func trimmingBlanks() -> Substring {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return self[first...last]
    }
}
