#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Support

/// Answers helper calls made by module code.
public protocol HelperHandler: AnyObject {
    func handle(_ request: HelperRequest) -> HelperReply
}

/// How a module function is called (see `__kindling_call` in the shim).
public enum ModuleCallMode: String, Sendable {
    /// check() with hostonly unset, for modules named with -m or --force-add.
    case genericCheck = "check-generic"
    /// check() with the build's hostonly value.
    case hostCheck = "check-host"
    /// check 0 with mount_needs=1 and a default of false.
    case mountCheck = "check-mount"
    /// The function's standard output is returned (depends, cmdline).
    case capture
    /// install and installkernel.
    case run
}

public struct ModuleCallResult: Equatable, Sendable {
    public var status: Int32
    public var output: String
}

public enum BashSessionError: Error, CustomStringConvertible {
    /// The shell ended during a call: module code ran `exit`, or bash died. `reason` is the
    /// module's last dfatal line, which dracut modules write just before `exit 1`.
    case shellExited(module: String?, status: Int32, function: String? = nil, reason: String? = nil)
    case protocolViolation(String)
    case cannotStart(String)
    /// A module function whose failure ends the build returned non-zero; `reason` is the last
    /// error it logged.
    case functionFailed(module: String, function: String, status: Int32, reason: String?)
    /// A module function ran past the per-call limit; its shell was killed.
    case timedOut(module: String, function: String, seconds: Int)

    public var description: String {
        switch self {
        case .shellExited(let module?, _, let function?, let reason?):
            return "module '\(module)' failed in \(function)(): \(reason)"
        case .shellExited(let module?, let status, let function, nil):
            return "module '\(module)' ended the build: its shell exited with status \(status)"
                + (function.map { " in \($0)()" } ?? "")
        case .shellExited(let module?, let status, nil, _):
            return "module '\(module)' ended the build: its shell exited with status \(status)"
        case .shellExited(nil, let status, _, _):
            return "the module shell exited unexpectedly with status \(status)"
        case .protocolViolation(let message):
            return "shell bridge: \(message)"
        case .cannotStart(let message):
            return "cannot start the module shell: \(message)"
        case .functionFailed(let module, let function, _, let reason?):
            return "module '\(module)' failed in \(function)(): \(reason)"
        case .functionFailed(let module, let function, let status, nil):
            return "\(function) failed in module \(module) (status \(status))"
        case .timedOut(let module, let function, let seconds):
            return "module '\(module)': \(function)() did not finish within \(seconds) s (--module-timeout)"
        }
    }

    public var exitStatus: Int32 {
        if case .shellExited(_, let status, _, _) = self, status != 0 { return status }
        return 1
    }
}

/// The one long-lived bash of a build. Module functions run in it; the helpers they call come back
/// to the engine as requests over a pipe, so no process is spawned per helper call.
public final class BashSession {
    private let process: ChildProcess
    private let commandFD: Int32
    private let messageFD: Int32
    private var decoder = ShellMessageDecoder()
    private let outputPump: Thread
    /// Written to when the shell is gone: the pump takes what is left and stops, even while a
    /// command the shell started still holds the log pipe.
    private let outputStop: [Int32]
    private let logger: Logger
    private let currentModule = ModuleLabel()
    /// Signalled by the output pump at each end-of-output marker the shim writes before DONE.
    private let outputEnds = DispatchSemaphore(value: 0)
    static let endOfOutputMarker = "\u{1}kindling-end-of-output"
    private var closed = false
    private var pumpStopped = false
    /// Seconds one module function may run before its shell is killed; nil: no limit.
    public var callTimeout: Int?
    /// The program calls a stand-in carried out (ProgramStandIns), so far.
    public private(set) var standInCalls = 0

    /// - Parameters:
    ///   - shimPath: kindling-shim.bash, which sources its sibling files from its own directory.
    ///   - environment: the shell's environment (exported variables, as dracut exports them).
    public init(shimPath: String, environment: [String: String], logger: Logger) throws {
        self.logger = logger
        // Descriptor numbers chosen high so module code that uses 3..9 never collides with them.
        let toShell = try makePipe(), fromShell = try makePipe(), output = try makePipe()
        var environment = environment
        environment["KINDLING_TO_ENGINE"] = "61"
        environment["KINDLING_FROM_ENGINE"] = "62"
        // The shim defines a forwarder for each helper the engine answers (or refuses, naming it).
        environment[DracutHelper.environmentVariable] = DracutHelper.forwarded.joined(separator: " ")
        // And one for each program the engine stands in for, unless the caller chose the list
        // (empty: none, every program runs as itself).
        let standIns = ProgramStandIns.environmentVariable
        environment[standIns] = environment[standIns] ?? ProgramStandIns.programs.joined(separator: " ")
        let devNull = try openEmptyInput()
        defer { close(devNull) }
        do {
            process = try ChildProcess(
                executable: "/bin/bash", arguments: ["--noprofile", "--norc", shimPath],
                environment: environment,
                descriptors: [0: devNull, 1: output[1], 2: output[1], 61: fromShell[1], 62: toShell[0]],
                newProcessGroup: true)
        } catch {
            for fd in toShell + fromShell + output { close(fd) }
            throw BashSessionError.cannotStart("\(error)")
        }
        close(toShell[0]); close(fromShell[1]); close(output[1])
        commandFD = toShell[1]
        messageFD = fromShell[0]
        // Our read ends are ours alone: a command module code left running (a daemon) holds the
        // write ends open, so neither end of file nor a blocking read can be relied on.
        _ = fcntl(messageFD, F_SETFL, fcntl(messageFD, F_GETFL) | O_NONBLOCK)
        outputStop = try makePipe()
        let outputFD = output[0], stopFD = outputStop[0]
        let label = currentModule
        let ends = outputEnds
        outputPump = Thread {
            LinePump(fd: outputFD, stop: stopFD).forEachLine { line in
                // Output without a final newline shares its line with the marker.
                let isEnd = line.hasSuffix(Self.endOfOutputMarker)
                let text = isEnd ? String(line.dropLast(Self.endOfOutputMarker.count)) : line
                if !text.isEmpty || !isEnd {
                    logger.info("\(label.value.map { "\($0): " } ?? "")\(text)")
                }
                if isEnd { ends.signal() }
            }
            close(outputFD)
        }
    }

    deinit { terminate() }

    /// The shell's process, which leads its own process group.
    public var processIdentifier: pid_t { process.pid }

    /// Runs bash code at global scope (the engine's variable assignments).
    @discardableResult
    public func evaluate(_ code: String, handler: HelperHandler? = nil) throws -> ModuleCallResult {
        try send(ShellCommandEncoder.encode(["eval"], body: takePrelude() + code))
        return try awaitCompletion(module: nil, handler: handler)
    }

    /// Code the shell runs at global scope before the next command, sent with that command:
    /// the engine's variable updates that need no answer (the module lists) cost no round trip
    /// of their own.
    public func evaluateBeforeNextCommand(_ code: String) {
        prelude += code + "\n"
    }

    private var prelude = ""

    private func takePrelude() -> String {
        defer { prelude = "" }
        return prelude
    }

    /// Runs one function of one module. With `failureIsFatal`, a non-zero status throws.
    /// The errors the call logs are held back while it runs: when it ends the build (`dfatal
    /// "why"; exit 1`, or a helper's failure) the last of them is the cause in the one error line.
    public func call(
        module: String, directory: String, function: String, mode: ModuleCallMode, handler: HelperHandler,
        failureIsFatal: Bool = false
    ) throws -> ModuleCallResult {
        currentModule.value = module
        defer { currentModule.value = nil }
        try send(ShellCommandEncoder.encode(["call", module, directory, function, mode.rawValue], body: takePrelude()))
        let deadline = callTimeout.map { MonotonicClock.seconds + Double($0) }
        logger.holdErrors()
        let result: ModuleCallResult
        do {
            result = try awaitCompletion(module: module, handler: handler, deadline: deadline)
        } catch CallDeadline.passed {
            logger.releaseErrors()
            stop()
            throw BashSessionError.timedOut(module: module, function: function, seconds: callTimeout ?? 0)
        } catch BashSessionError.shellExited(_, let status, _, _) {
            throw BashSessionError.shellExited(
                module: module, status: status, function: function,
                reason: releasedCause(module: module))
        } catch {
            logger.releaseErrors()
            throw error
        }
        if failureIsFatal, result.status != 0 {
            throw BashSessionError.functionFailed(
                module: module, function: function, status: result.status,
                reason: releasedCause(module: module))
        }
        logger.releaseErrors()
        return result
    }

    /// The last held error line, without the module's name (the error names it), the others logged.
    private func releasedCause(module: String) -> String? {
        guard let last = logger.releaseErrors(keeping: 1).last else { return nil }
        return last.hasPrefix(module + ": ") ? String(last.dropFirst(module.count + 2)) : last
    }

    /// Ends the shell and waits for it.
    public func terminate() {
        guard !closed else { return }
        stop()
    }

    /// Kills the whole group (a command module code started must not outlive the build), SIGKILL
    /// for what ignores SIGTERM, and waits for the shell and its output. A command that left the
    /// group (`setsid daemon &`) may still hold the pipes: once the shell is reaped nothing waits
    /// for them.
    private func stop() {
        closeChannels()
        process.terminateGroup()
        stopOutputPump()
    }

    private func closeChannels() {
        guard !closed else { return }
        closed = true
        close(commandFD)
        close(messageFD)
    }

    /// Tells the pump the shell is gone, and waits for it to log what was left in the pipe.
    private func stopOutputPump() {
        guard !pumpStopped else { return }
        pumpStopped = true
        writeAll(fd: outputStop[1], [1])
        outputPump.join()
        close(outputStop[0])
        close(outputStop[1])
    }

    /// The shell has ended (or closed its end): reap it, take its last output, and report it.
    private func shellEnded(module: String?, status: Int32) -> BashSessionError {
        closeChannels()
        process.terminateGroup()  // what it left running in its group; the shell is reaped already
        stopOutputPump()
        return BashSessionError.shellExited(module: module, status: status)
    }

    private func send(_ fields: [String]) throws {
        try send(ShellCommandEncoder.encode(fields))
    }

    private func send(_ bytes: [UInt8]) throws {
        guard !closed, writeAll(fd: commandFD, bytes) else {
            throw shellEnded(module: currentModule.value, status: process.wait(within: 2) ?? process.terminateGroup())
        }
    }

    private func awaitCompletion(module: String?, handler: HelperHandler?, deadline: Double? = nil) throws -> ModuleCallResult {
        while true {
            let message = try nextMessage(module: module, deadline: deadline)
            switch message {
            case .done(let status, let output):
                // Let the log catch up, so every line is labelled with the module that wrote it.
                _ = outputEnds.wait(timeout: .now() + .seconds(5))
                return ModuleCallResult(status: status, output: output)
            case .log(let level, let line):
                let prefix = module.map { "\($0): " } ?? ""
                logger.log(LogLevel(rawValue: min(max(level, 1), 6)) ?? .info, prefix + line)
            case .request(let request):
                let reply =
                    handler?.handle(request)
                    ?? HelperReply(status: 1, output: "")
                let encoded = ShellCommandEncoder.encode([String(reply.status), reply.output])
                guard writeAll(fd: commandFD, encoded) else {
                    throw shellEnded(module: module, status: process.wait(within: 2) ?? process.terminateGroup())
                }
            case .program(let call):
                // "run": the shell runs the program itself.
                let result = ProgramStandIns.run(call)
                if result != nil { standInCalls += 1 }
                let encoded = ShellCommandEncoder.encode(
                    [result.map { String($0.status) } ?? "run"], body: result?.output ?? [])
                guard writeAll(fd: commandFD, encoded) else {
                    throw shellEnded(module: module, status: process.wait(within: 2) ?? process.terminateGroup())
                }
            }
        }
    }

    private func nextMessage(module: String?, deadline: Double?) throws -> ShellMessage {
        var chunk = [UInt8](repeating: 0, count: 65536)
        var shellIsGone = false
        while true {
            do {
                if let message = try decoder.nextMessage() { return message }
            } catch let error as ShellProtocolError {
                throw BashSessionError.protocolViolation(error.description)
            }
            if shellIsGone { throw shellEnded(module: module, status: process.wait()) }
            let count = chunk.withUnsafeMutableBytes { read(messageFD, $0.baseAddress, $0.count) }
            if count > 0 {
                decoder.append(chunk[0..<count])
            } else if count == 0 {
                // Every writer closed its end: the shell is ending (or module code closed it).
                let status = process.wait(within: 2) ?? process.terminateGroup()
                throw shellEnded(module: module, status: status)
            } else if errno == EAGAIN {
                // Nothing to read: wait a while, then look whether the shell itself is still
                // there, as a command it started may hold the pipe open long after it exited.
                if !(try waitForMessage(until: deadline)), process.wait(within: 0) != nil {
                    shellIsGone = true
                    drainMessages(into: &chunk)
                }
            } else if errno != EINTR {
                throw shellEnded(module: module, status: process.terminateGroup())
            }
        }
    }

    /// Takes what the shell wrote before it ended, without waiting for more.
    private func drainMessages(into chunk: inout [UInt8]) {
        while true {
            let count = chunk.withUnsafeMutableBytes { read(messageFD, $0.baseAddress, $0.count) }
            if count > 0 {
                decoder.append(chunk[0..<count])
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }

    /// Whether the shell has written something (or hung up) within a quarter of a second, or by
    /// `deadline` if that is sooner; false when not (or on EINTR).
    private func waitForMessage(until deadline: Double?) throws -> Bool {
        var wait = 0.25
        if let deadline {
            let remaining = deadline - MonotonicClock.seconds
            guard remaining > 0 else { throw CallDeadline.passed }
            wait = min(wait, remaining)
        }
        var descriptor = pollfd(fd: messageFD, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, Int32((wait * 1000).rounded(.up))) > 0
    }
}

/// The per-call limit ran out while waiting for the shell.
private enum CallDeadline: Error {
    case passed
}

/// The module whose code is running, read by the output pump thread to prefix lines.
private final class ModuleLabel: @unchecked Sendable {
    private let lock = Lock()
    private var name: String?
    var value: String? {
        get { lock.withLock { name } }
        set { lock.withLock { name = newValue } }
    }
}

/// Splits what a descriptor delivers into lines, until end of file or until `stop` is readable;
/// then it takes what is already in the pipe (up to a bound) without waiting for more.
struct LinePump {
    let fd: Int32
    let stop: Int32
    /// What is still read once told to stop: a writer that never pauses cannot keep it going.
    static let drainLimit = 1 << 20

    func forEachLine(_ body: (String) -> Void) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var splitter = LineSplitter()
        var chunk = [UInt8](repeating: 0, count: 65536)
        var drained: Int?
        while drained.map({ $0 < Self.drainLimit }) ?? true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                chunk.withUnsafeBufferPointer { splitter.append(UnsafeBufferPointer(rebasing: $0[0..<count]), body) }
                drained = drained.map { $0 + count }
                // A writer that never pauses (a daemon's endless output) must not hide the stop.
                var stopping = pollfd(fd: stop, events: Int16(POLLIN), revents: 0)
                if drained == nil, poll(&stopping, 1, 0) > 0 { drained = 0 }
                continue
            }
            if count == 0 || (errno != EAGAIN && errno != EINTR) || drained != nil { break }
            if errno == EINTR { continue }
            var descriptors = [
                pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                pollfd(fd: stop, events: Int16(POLLIN), revents: 0),
            ]
            guard poll(&descriptors, 2, -1) >= 0 || errno == EINTR else { break }
            if descriptors[1].revents != 0 { drained = 0 }
        }
        if let last = splitter.finish() { body(last) }
    }
}
