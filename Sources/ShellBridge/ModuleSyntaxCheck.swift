#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Support

/// The module-setup.sh files whose syntax passed, so that the shim need not check each one with a
/// `bash -n` of its own before sourcing it (a process per module was a tenth of a stock build).
///
/// One `bash -n` parses a whole batch, each file's text the body of a function of its own. The
/// first batch, the module path, is read, written and started on a worker thread as the build
/// starts, and parses while the build still prepares (the module shell, its environment, the
/// host's devices). Files asked about later, such as the modules a kdump build adds, are parsed
/// in one more batch when first asked about.
///
/// A batch passes whole or not at all. A file of a failed batch is never reported as passed, so
/// the shim checks it alone when it is sourced, and the broken file names itself with its line.
/// An extra `}` in one file and a missing one in the next would pass here; sourcing them then
/// fails in bash's own way.
public final class ModuleSyntaxCheck: @unchecked Sendable {
    private let scratch: String
    /// The first batch, once its worker has started it.
    private let firstStarted = DispatchGroup()
    private var first: (read: [String], process: ChildProcess?) = ([], nil)
    private var running: ChildProcess?
    private var judged: Set<String> = []
    private var passed: Set<String> = []

    /// Starts the first batch on the files `listed` gives (on the worker: finding them is work
    /// too), written together into `scratch` (a file of the build's own temporary directory). A
    /// batch that cannot start passes nothing: the shim checks then.
    public init(scratch: String, listed: @escaping @Sendable () -> [String]) {
        self.scratch = scratch
        firstStarted.enter()
        Thread.detach { [self] in
            let files = listed()
            judged = Set(files)
            first = Self.start(files, scratch: scratch)
            firstStarted.leave()
        }
    }

    public convenience init(files: [String], scratch: String) {
        self.init(scratch: scratch) { files }
    }

    /// The files of the first batch that were read (regular files).
    public var files: [String] {
        firstStarted.wait()
        return first.read
    }

    /// The files of `candidates` whose syntax passed. Waits for the first batch; candidates
    /// never judged before are parsed now, in one batch.
    public func passedFiles(among candidates: [String]) -> [String] {
        firstStarted.wait()
        if let process = first.process {
            first.process = nil
            running = process
            finishRunning(first.read)
        }
        let fresh = candidates.filter { !judged.contains($0) }
        if !fresh.isEmpty {
            let batch = Self.start(fresh, scratch: scratch)
            running = batch.process
            judged.formUnion(fresh)
            finishRunning(batch.read)
        }
        return candidates.filter(passed.contains)
    }

    deinit {
        firstStarted.wait()
        _ = first.process?.wait()
        _ = running?.wait()
    }

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
