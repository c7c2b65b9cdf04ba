#if canImport(Glibc)
import Glibc
#endif
import Support

/// The module-setup.sh files whose syntax passed, so that the shim need not check each one with a
/// `bash -n` of its own before sourcing it (a process per module was a tenth of a stock build).
///
/// One `bash -n` parses a whole batch, each file's text the body of a function of its own. The
/// first batch, the module path, starts with the build and parses while the build still prepares
/// (the module shell's environment, the host's devices). Files asked about later, such as the
/// modules a kdump build adds, are parsed in one more batch when first asked about.
///
/// A batch passes whole or not at all. A file of a failed batch is never reported as passed, so
/// the shim checks it alone when it is sourced, and the broken file names itself with its line.
/// An extra `}` in one file and a missing one in the next would pass here; sourcing them then
/// fails in bash's own way.
public final class ModuleSyntaxCheck {
    /// The files of the first batch that were read (regular files).
    public let files: [String]
    private let scratch: String
    private var running: ChildProcess?
    private var judged: Set<String>
    private var passed: Set<String> = []

    /// Starts the first batch on `files`, written together into `scratch` (a file of the build's
    /// own temporary directory). A batch that cannot start passes nothing: the shim checks then.
    public init(files: [String], scratch: String) {
        self.scratch = scratch
        let batch = Self.start(files, scratch: scratch)
        self.files = batch.read
        running = batch.process
        judged = Set(files)
    }

    /// The files of `candidates` whose syntax passed. Waits for the first batch; candidates
    /// never judged before are parsed now, in one batch.
    public func passedFiles(among candidates: [String]) -> [String] {
        finishRunning(files)
        let fresh = candidates.filter { !judged.contains($0) }
        if !fresh.isEmpty {
            let batch = Self.start(fresh, scratch: scratch)
            running = batch.process
            judged.formUnion(fresh)
            finishRunning(batch.read)
        }
        return candidates.filter(passed.contains)
    }

    deinit { _ = running?.wait() }

    private func finishRunning(_ batch: [String]) {
        guard let process = running else { return }
        running = nil
        if process.wait() == 0 { passed.formUnion(batch) }
    }

    private static func start(_ files: [String], scratch: String) -> (read: [String], process: ChildProcess?) {
        var text: [UInt8] = []
        var read: [String] = []
        for file in files {
            guard let bytes = regularFileBytes(atPath: file) else { continue }
            // Every byte: bash sources and parses past a NUL.
            text += Array("__kindling_syntax_probe() {\n".utf8) + bytes + Array("\n}\n".utf8)
            read.append(file)
        }
        guard !read.isEmpty, replaceFile(scratch, with: text, mode: 0o600) else { return (read, nil) }
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { if null >= 0 { close(null) } }
        let process = try? ChildProcess(
            executable: "/bin/bash", arguments: ["-O", "extglob", "-n", scratch],
            descriptors: null >= 0 ? [0: null, 1: null, 2: null] : [:])
        return (read, process)
    }
}
