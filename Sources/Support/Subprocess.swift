#if canImport(Glibc)
import Glibc
#endif
import CSystem

public struct SubprocessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A child process started with posix_spawn, with chosen file descriptors mapped into it.
/// Foundation's Process cannot hand a child extra descriptors, which the shell bridge needs.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    private var cachedStatus: Int32?

    /// - Parameters:
    ///   - descriptors: child descriptor -> parent descriptor to duplicate onto it.
    ///   - environment: nil inherits the parent's environment.
    public init(
        executable: String, arguments: [String], environment: [String: String]? = nil,
        descriptors: [Int32: Int32] = [:], newProcessGroup: Bool = false
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Duplicate through temporary numbers above every one involved first, so that a mapping
        // never clobbers a source; they stay as low as they can, under the open-file limit.
        let ordered = descriptors.sorted { $0.key < $1.key }
        let temporaryBase = (descriptors.keys.max().map { max($0, descriptors.values.max() ?? 0) } ?? 0) + 1
        var added: Int32 = 0
        for (index, mapping) in ordered.enumerated() where added == 0 {
            added = posix_spawn_file_actions_adddup2(&actions, mapping.value, temporaryBase + Int32(index))
        }
        for (index, mapping) in ordered.enumerated() where added == 0 {
            added = posix_spawn_file_actions_adddup2(&actions, temporaryBase + Int32(index), mapping.key)
            if added == 0 { added = posix_spawn_file_actions_addclose(&actions, temporaryBase + Int32(index)) }
        }
        guard !descriptors.values.contains(where: { $0 < 0 }) else {
            throw SubprocessError("cannot run \(executable): a descriptor to give it is not open")
        }
        guard added == 0 else {
            // EBADF: a number at or over the open-file limit (ulimit -n), which the child could not have.
            var limit = rlimit()
            let current =
                getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0
                ? " (ulimit -n is \(limit.rlim_cur))" : ""
            let highest = temporaryBase + Int32(descriptors.count) - 1
            throw SubprocessError(
                "cannot run \(executable): it needs descriptor \(highest), over the open-file limit\(current)")
        }
        // The child gets its standard descriptors and the mapped ones, nothing else: not a
        // descriptor of another thread's that is not close-on-exec yet, nor one this process
        // inherited without close-on-exec (a caller's pipe that a module's daemon would then
        // hold open). A close of a descriptor that is not open is not an error for posix_spawn.
        let kept = Set(descriptors.keys).union([0, 1, 2])
        let highest = kept.max() ?? 2
        for fd in stride(from: 3, to: highest, by: 1) where !kept.contains(fd) { posix_spawn_file_actions_addclose(&actions, fd) }
        GNUCalls.addCloseFrom(&actions, highest + 1)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if newProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT] { sigaddset(&defaultSignals, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)

        // Raw bytes (PathBytes): an argument or a value that is not UTF-8 reaches the child as it is.
        let argv = ([executable] + arguments).map(Self.duplicate) + [nil]
        defer { argv.forEach { free($0) } }
        let environmentList: [String]
        if let environment {
            environmentList = environment.map { "\($0.key)=\($0.value)" }
        } else {
            environmentList = currentEnvironment().map { "\($0.key)=\($0.value)" }
        }
        let envp = environmentList.map(Self.duplicate) + [nil]
        defer { envp.forEach { free($0) } }

        var child: pid_t = 0
        let result = posix_spawnp(&child, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw SubprocessError("cannot run \(executable): \(systemErrorDescription(result))")
        }
        pid = child
        RunningChildren.add(child, leadsGroup: newProcessGroup)
    }

    /// A malloc'd NUL-terminated copy of the bytes `text` carries (see PathBytes).
    static func duplicate(_ text: String) -> UnsafeMutablePointer<CChar>? {
        PathBytes.withCString(text) { strdup($0) }
    }

    /// Waits for the child and returns its exit status (128+N when killed by signal N).
    @discardableResult
    public func wait() -> Int32 {
        if let cachedStatus { return cachedStatus }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { cachedStatus = 127; return 127 }
        }
        return record(status)
    }

    /// Waits at most `seconds` for the child; nil when it is still running then.
    public func wait(within seconds: Double) -> Int32? {
        if let cachedStatus { return cachedStatus }
        let deadline = MonotonicClock.seconds + seconds
        var status: Int32 = 0
        // A signalled child is usually gone within a millisecond (the module shell at the end of
        // every build): the first looks come soon, the later ones every 10 ms.
        var pause: useconds_t = 250
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { return record(status) }
            if result < 0 && errno != EINTR { cachedStatus = 127; return 127 }
            if MonotonicClock.seconds >= deadline { return nil }
            usleep(pause)
            pause = min(pause * 2, 10_000)
        }
    }

    /// Ends the child's process group: SIGTERM, then SIGKILL for what ignores it.
    @discardableResult
    public func terminateGroup(grace seconds: Double = 1) -> Int32 {
        kill(-pid, SIGTERM)
        if let status = wait(within: seconds) {
            kill(-pid, SIGKILL)
            return status
        }
        kill(-pid, SIGKILL)
        return wait()
    }

    private func record(_ status: Int32) -> Int32 {
        RunningChildren.remove(pid)
        let code: Int32
        if status & 0x7f == 0 {
            code = (status >> 8) & 0xff
        } else {
            code = 128 + (status & 0x7f)
        }
        cachedStatus = code
        return code
    }
}

/// The children started and not reaped yet, so that SIGINT or SIGTERM can end whatever the build
/// waits for (a config file's `sleep`, a tool, the module shell) wherever the build is.
public enum RunningChildren {
    private static let lock = Lock()
    nonisolated(unsafe) private static var children: [pid_t: Bool] = [:]

    static func add(_ pid: pid_t, leadsGroup: Bool) {
        lock.withLock { children[pid] = leadsGroup }
    }

    static func remove(_ pid: pid_t) {
        _ = lock.withLock { children.removeValue(forKey: pid) }
    }

    /// SIGTERM to each (to its whole group when it leads one).
    public static func terminateAll() {
        lock.withLock {
            for (pid, leadsGroup) in children { kill(leadsGroup ? -pid : pid, SIGTERM) }
        }
    }
}

public func currentEnvironment() -> [String: String] {
    var result: [String: String] = [:]
    var pointer = environ
    while let entry = pointer.pointee {
        // Raw bytes (PathBytes): TMPDIR and the like may name a directory that is not UTF-8.
        let text = PathBytes.string(cString: entry)
        if let equals = text.firstIndex(of: "=") {
            result[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        pointer += 1
    }
    return result
}

/// The result of running a command to completion.
public struct CommandOutput: Sendable {
    public var status: Int32
    public var standardOutput: [UInt8]
    public var standardError: [UInt8]
    public var outputText: String { String(decoding: standardOutput, as: UTF8.self) }
    public var errorText: String { String(decoding: standardError, as: UTF8.self) }
}

/// Runs a command, feeding it `input`, and collects its output.
public func runCommand(
    _ executable: String, _ arguments: [String], input: [UInt8] = [], environment: [String: String]? = nil
) throws -> CommandOutput {
    let inPipe = try makePipe(), outPipe = try makePipe(), errPipe = try makePipe()
    let child: ChildProcess
    do {
        child = try ChildProcess(
            executable: executable, arguments: arguments, environment: environment,
            descriptors: [0: inPipe[0], 1: outPipe[1], 2: errPipe[1]])
    } catch {
        for fd in inPipe + outPipe + errPipe { close(fd) }
        throw error
    }
    close(inPipe[0]); close(outPipe[1]); close(errPipe[1])
    let writer = Thread {
        writeAll(fd: inPipe[1], input)
        close(inPipe[1])
    }
    // A command that leaves something running in the background must not hold the build.
    let outputs = readUntilExit(of: child, from: [outPipe[0], errPipe[0]])
    close(outPipe[0]); close(errPipe[0])
    writer.join()
    return CommandOutput(status: child.wait(), standardOutput: outputs[0], standardError: outputs[1])
}

/// A close-on-exec pipe: [read end, write end]. Children get only the ends mapped into them.
public func makePipe() throws -> [Int32] {
    var ends: [Int32] = [0, 0]
    // Atomically: another thread may start a child between pipe() and fcntl().
    guard GNUCalls.pipeCloseOnExec(&ends) == 0 else {
        throw SubprocessError("cannot create a pipe: \(systemErrorDescription())")
    }
    return ends
}

/// Seconds on a clock that never jumps, for deadlines.
public enum MonotonicClock {
    public static var seconds: Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}

/// GNU calls that Swift's Glibc module leaves out, through CSystem.
public enum GNUCalls {
    /// pipe2(2) with `O_CLOEXEC` set atomically, as another thread may start a child meanwhile.
    public static func pipeCloseOnExec(_ ends: UnsafeMutablePointer<Int32>) -> Int32 {
        kindling_pipe_cloexec(ends)
    }

    /// posix_spawn_file_actions_addclosefrom_np (glibc 2.34): the child closes every descriptor
    /// from `lowest` up.
    public static func addCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ lowest: Int32) {
        _ = kindling_spawn_add_close_from(actions, lowest)
    }

    /// mkostemp(3) with O_CLOEXEC.
    public static func mkostempCloseOnExec(_ template: UnsafeMutablePointer<CChar>) -> Int32 {
        kindling_mkstemp_cloexec(template)
    }

    /// Sets the directory's FS_TOPDIR_FL (`chattr +T`): ext2/3/4 spread its subdirectories over
    /// the disk's block groups as they do the root's. -1 where the filesystem has no such flag.
    @discardableResult
    public static func markTopDirectory(_ descriptor: Int32) -> Int32 {
        kindling_mark_top_directory(descriptor)
    }

    /// sync_file_range(2) with SYNC_FILE_RANGE_WRITE over the whole file: starts writing its dirty
    /// pages to disk and returns without waiting for them.
    @discardableResult
    public static func startWriteback(_ descriptor: Int32) -> Int32 {
        kindling_start_writeback(descriptor)
    }

    /// Linux's O_PATH: a descriptor that names a file without opening it for reading or writing.
    public static let pathOnly = kindling_O_PATH
    /// Linux's AT_EMPTY_PATH: the *at call acts on the descriptor itself.
    public static let emptyPath = kindling_AT_EMPTY_PATH
}
