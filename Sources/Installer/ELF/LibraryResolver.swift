#if canImport(Glibc)
import Glibc
#endif
import Support

/// What must be installed next to a program or library for it to run.
public struct ELFDependencies: Equatable, Sendable {
    /// The program interpreter and every library the loader would map, each once, in the order the
    /// loader maps them (ldd's order). Each is an absolute path as seen inside the sysroot, named as
    /// the loader names it: it may go through symlinks or contain `..` (e.g. from `$ORIGIN/../lib`).
    /// For a script, its interpreter comes first, followed by the interpreter's own dependencies.
    public var files: [String] = []
    /// Needed names (sonames, or paths for a missing interpreter) that were found nowhere.
    public var missing: [String] = []
    /// Candidates skipped because they could not be parsed; the search went on past them.
    public var unusable: [ELFError] = []

    public init(files: [String] = [], missing: [String] = [], unusable: [ELFError] = []) {
        self.files = files
        self.missing = missing
        self.unusable = unusable
    }
}

/// Finds, without running ldd, the files that must be installed for an executable, a library or a
/// script: what glibc's loader would load for it on the system rooted at `sysroot`.
///
/// One resolver serves one build: it remembers every file it parses (each is parsed at most once)
/// and every answer. It is safe to share between threads; calls are serialised.
public final class LibraryResolver: @unchecked Sendable {
    /// The kernel follows at most this many nested `#!` interpreters.
    private static let scriptNestingLimit = 4

    /// The sysroot, without a trailing slash; empty for the host.
    public var sysroot: String { paths.sysroot }

    private let paths: SysrootPaths
    private let catalog: FileCatalog
    private let search: LibrarySearch
    private let lock = Lock()
    private var answers: [String: ELFDependencies] = [:]

    /// - Parameter sysroot: the directory the target system is installed in; "" or "/" for the host.
    public init(sysroot: String = "") {
        paths = SysrootPaths(sysroot: sysroot)
        catalog = FileCatalog(paths: paths)
        search = LibrarySearch(catalog: catalog)
    }

    /// The interpreter and libraries `path` needs, recursively. A file that is neither ELF nor a
    /// `#!` script, and a static program, need nothing.
    ///
    /// - Parameter path: absolute inside the sysroot (a relative path is taken from the working
    ///   directory on the host, and from the sysroot's root otherwise).
    /// - Throws: `ELFError` when `path` itself is missing, unreadable or a corrupt ELF file;
    ///   `SysrootPathError` when a symlink met on the way leads out of the sysroot. Libraries that
    ///   cannot be found are not errors: they are listed in `missing`.
    public func dependencies(of path: String) throws -> ELFDependencies {
        try lock.withLock { try dependencies(of: absolute(path), nesting: 0) }
    }

    /// Where an in-sysroot path really is on the host, with every symlink resolved inside the
    /// sysroot; nil if it does not exist. Read files through this, never through `sysroot + path`,
    /// which would follow an absolute symlink out to the host.
    /// - Throws: `SysrootPathError` when a symlink leads out of the sysroot.
    public func hostPath(of path: String) throws -> String? {
        try lock.withLock { try paths.resolve(absolute(path)).map(paths.hostPath) }
    }

    /// How many ELF files have been parsed so far.
    var parsedFileCount: Int { lock.withLock { catalog.parseCount } }

    private func dependencies(of path: String, nesting: Int) throws -> ELFDependencies {
        if let known = answers[path] { return known }
        let answer: ELFDependencies
        switch try catalog.lookUp(path) {
        case .found(let file):
            var walk = DependencyWalk(search: search)
            try walk.walk(from: file)
            answer = walk.dependencies
        case .absent:
            throw ELFError(path: path, reason: .unreadable(systemErrorDescription(ENOENT)))
        case .unusable(let error) where error.reason == .notELF:
            answer = try scriptDependencies(of: path, nesting: nesting)
        case .unusable(let error):
            throw ELFError(path: path, reason: error.reason)
        }
        answers[path] = answer
        return answer
    }

    private func scriptDependencies(of path: String, nesting: Int) throws -> ELFDependencies {
        guard nesting < Self.scriptNestingLimit, let resolved = try paths.resolve(path),
            let interpreter = ScriptHeader.interpreter(ofScriptAt: paths.hostPath(resolved))
        else { return ELFDependencies() }
        if !interpreter.hasPrefix("/") { return ELFDependencies(missing: [interpreter]) }
        if case .absent = try catalog.lookUp(interpreter) { return ELFDependencies(missing: [interpreter]) }
        // The interpreter may itself be a script: the kernel allows a few levels of that.
        var result = try dependencies(of: interpreter, nesting: nesting + 1)
        result.files.removeAll { $0 == interpreter }
        result.files.insert(interpreter, at: 0)
        return result
    }

    private func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        guard paths.isHost, let directory = getcwd(nil, 0) else { return "/" + path }
        defer { free(directory) }
        return PathText.join(String(cString: directory), path)
    }
}
