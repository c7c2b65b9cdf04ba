#if canImport(Glibc)
import Glibc
#endif
import Support

/// The shim's `__kindling_check_module_syntax`, started by the engine as soon as the catalog is
/// known: one `bash -n` over every module-setup.sh, each file's text the body of a function of
/// its own, parsed while the build still prepares (the module shell's environment, the host's
/// devices) instead of when the modules are declared. For dracut's 120 stock modules that parse
/// and the shell's reading of the files were 20 ms of the build's serial start.
/// The verdict is the shim's: every file passed, or none is marked and each is checked alone
/// when it is first sourced.
public final class ModuleSyntaxCheck {
    /// The module-setup.sh files handed to bash.
    public let files: [String]
    private let process: ChildProcess?

    /// Starts the check of `files`, written together into `scratch` (a file of the build's own
    /// temporary directory). A check that cannot start checks nothing: the shim does it then.
    public init(files: [String], scratch: String) {
        var text: [UInt8] = []
        var read: [String] = []
        for file in files {
            // What the shim's `read -r -d ''` takes: the bytes up to the first NUL.
            guard let bytes = Self.regularFileBytes(file) else { continue }
            text += Array("__kindling_syntax_probe() {\n".utf8) + bytes.prefix { $0 != 0 } + Array("\n}\n".utf8)
            read.append(file)
        }
        self.files = read
        guard !read.isEmpty, Self.write(text, to: scratch) else {
            process = nil
            return
        }
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { if null >= 0 { close(null) } }
        process = try? ChildProcess(
            executable: "/bin/bash", arguments: ["-O", "extglob", "-n", scratch],
            descriptors: null >= 0 ? [0: null, 1: null, 2: null] : [:])
    }

    /// The files that parsed: all of them, or none. Waits for bash.
    public func checkedFiles() -> [String] {
        guard let process, process.wait() == 0 else { return [] }
        return files
    }

    deinit { _ = process?.wait() }

    /// A regular file's bytes (as `[[ -f ]]` sees it: symlinks followed); nil for anything else.
    private static func regularFileBytes(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        return readAll(fd: fd)
    }

    private static func write(_ bytes: [UInt8], to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return writeAll(fd: fd, bytes)
    }
}
