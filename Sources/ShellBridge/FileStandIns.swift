#if canImport(Glibc)
import Glibc
#endif
import Support

/// `ln -s`, `mkdir` and `chmod` (GNU coreutils) on absolute paths, in the forms module code uses
/// to lay out its part of the tree. Each declines before it changes anything where the program
/// would print an error, or would do more than the plain case (a link into a directory, a mode
/// that needs a chmod after mkdir); `mkdir -p` alone may decline after it made some of the
/// directories, and the program then makes the rest as it would have made them all.
enum FileStandIns {
    /// `ln -s[f][n] TARGET LINK`: a new symlink, or with -f one that replaces what is at LINK
    /// (atomically, through a temporary name and a rename, as ln does), unless that is a
    /// directory or (without -n) a symlink to one, where ln would make the link inside it.
    static func symlink(_ arguments: [String]) -> ProgramResult? {
        guard let parsed = ShortOptions(arguments, flags: ["s", "f", "n"]), parsed.has("s"),
            parsed.operands.count == 2
        else { return nil }
        let target = parsed.operands[0], link = parsed.operands[1]
        guard !target.isEmpty, isPlainAbsolute(link), target != link else { return nil }
        if Support.symlink(target, link) == 0 { return .success }
        guard errno == EEXIST, parsed.has("f") else { return nil }
        var status = stat()
        guard lstat(link, &status) == 0, !isDirectory(status) else { return nil }
        if !parsed.has("n"), stat(link, &status) == 0, isDirectory(status) { return nil }
        return replaceWithSymlink(link, target: target) == 0 ? .success : nil
    }

    /// `mkdir [-p] [-m MODE] DIR...` with an octal MODE that the caller's umask leaves whole
    /// (mkdir would chmod otherwise), when the caller's umask is the engine's own: each mkdir(2)
    /// is then the one the program makes. Without -p, one directory.
    static func makeDirectories(_ arguments: [String], umask callerMask: mode_t?) -> ProgramResult? {
        guard let parsed = ShortOptions(arguments, flags: ["p"], valued: ["m"]), !parsed.operands.isEmpty,
            let callerMask, callerMask == engineMask
        else { return nil }
        let parents = parsed.has("p")
        var mode: mode_t = 0o777
        if let text = parsed.options.last(where: { $0.letter == "m" })?.value {
            guard let given = octalMode(text), given & ~0o777 == 0, given & ~callerMask == given else { return nil }
            mode = given
        }
        let directories = parsed.operands
        guard directories.allSatisfy(isPlainAbsolute), parents || directories.count == 1 else { return nil }
        // mkdir -p makes parents writable and searchable by their owner whatever the umask says.
        guard !parents || callerMask & 0o300 == 0 else { return nil }
        for directory in directories {
            if parents { guard makeParents(of: directory, mode: 0o777) else { return nil } }
            guard makeDirectory(directory, mode: mode, existingIsFine: parents) else { return nil }
        }
        return .success
    }

    /// `chmod MODE FILE...` with an octal MODE on regular files (through symlinks, as chmod
    /// goes): every file is looked at before the first is changed.
    static func changeMode(_ arguments: [String]) -> ProgramResult? {
        guard arguments.count >= 2, let mode = octalMode(arguments[0]) else { return nil }
        let files = arguments.dropFirst()
        var status = stat()
        for file in files {
            guard isPlainAbsolute(file), stat(file, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        }
        for file in files where chmod(file, mode) != 0 { return nil }
        return .success
    }

    /// The engine's umask, which its own mkdir(2) calls get.
    static let engineMask: mode_t? = CallerProcess(pid: getpid()).fileCreationMask

    /// The directories above the absolute `path`, each made with mkdir(2) and `mode` where it is
    /// missing, as `mkdir -p` makes them.
    static func makeParents(of path: String, mode: mode_t) -> Bool {
        var prefix = ""
        for component in path.split(separator: "/").dropLast() {
            prefix += "/" + component
            guard makeDirectory(prefix, mode: mode, existingIsFine: true) else { return false }
        }
        return true
    }

    /// mkdir(2) at `path`; with `existingIsFine`, a directory already there (or a symlink to
    /// one) is fine too.
    private static func makeDirectory(_ path: String, mode: mode_t, existingIsFine: Bool) -> Bool {
        if mkdir(path, mode) == 0 { return true }
        guard errno == EEXIST, existingIsFine else { return false }
        var status = stat()
        return stat(path, &status) == 0 && isDirectory(status)
    }

    /// An octal mode as chmod and mkdir take it: one to four digits.
    private static func octalMode(_ text: String) -> mode_t? {
        guard (1...4).contains(text.count), text.allSatisfy({ ("0"..."7").contains($0) }) else { return nil }
        return mode_t(text, radix: 8)
    }

    /// An absolute path without `.` or `..` components, empty components or a final slash: the
    /// programs resolve other paths against their working directory, or treat them specially.
    private static func isPlainAbsolute(_ path: String) -> Bool {
        guard path.hasPrefix("/"), path.count > 1, !path.hasSuffix("/"), !path.contains("//") else { return false }
        return !path.split(separator: "/").contains { $0 == "." || $0 == ".." }
    }

    private static func isDirectory(_ status: stat) -> Bool {
        status.st_mode & S_IFMT == S_IFDIR
    }
}
