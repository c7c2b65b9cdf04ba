#if canImport(Glibc)
import Glibc
#endif

/// dracut's log levels: a message is shown when its level is at most the configured one.
public enum LogLevel: Int, Comparable, Sendable {
    case fatal = 1
    case error = 2
    case warning = 3
    case info = 4
    case debug = 5
    case trace = 6

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The letter that starts a line of dracut's log file.
    public var letter: Character {
        switch self {
        case .fatal: "F"
        case .error: "E"
        case .warning: "W"
        case .info: "I"
        case .debug: "D"
        case .trace: "T"
        }
    }
}

/// Writes `kindling: MESSAGE` lines to standard error, as dracut writes `dracut: MESSAGE`.
public final class Logger: @unchecked Sendable {
    public var level: LogLevel
    private let lock = Lock()
    private var sinks: [(LogLevel, String) -> Void] = []
    /// Error and fatal lines kept back while a step runs (see `holdErrors`).
    private var held: [(level: LogLevel, message: String)]?
    /// Clears a status line around each line written to standard error (see `keepLinesClear`).
    private var statusLine: ProgressLine?

    public init(level: LogLevel = .info) { self.level = level }

    /// Adds a destination that receives every line, whatever the level (the --logfile).
    public func addSink(_ sink: @escaping (String) -> Void) {
        lock.withLock { sinks.append { _, line in sink(line) } }
    }

    /// Adds a destination for the lines at `maximum` or more important, such as dracut's log file
    /// with its own level (fileloglvl).
    public func addSink(upTo maximum: LogLevel, _ sink: @escaping (LogLevel, String) -> Void) {
        lock.withLock { sinks.append { level, line in if level <= maximum { sink(level, line) } } }
    }

    /// Until `nil`, every line for standard error is written with `line` cleared, so that the line
    /// and the log never share a row of the terminal.
    public func keepLinesClear(of line: ProgressLine?) {
        lock.withLock { statusLine = line }
    }

    private func writeLine(_ text: String) {
        if let statusLine {
            statusLine.withLineCleared { writeStandardError(text) }
        } else {
            writeStandardError(text)
        }
    }

    public func log(_ messageLevel: LogLevel, _ message: String) {
        lock.withLock {
            for sink in sinks { sink(messageLevel, message) }
            // Held whatever the level shown: it may become the build's one error line.
            if messageLevel <= .error, held != nil {
                held!.append((messageLevel, message))
                return
            }
            guard messageLevel <= level else { return }
            writeLine("kindling: \(message)\n")
        }
    }

    /// Keeps error and fatal lines back until `releaseErrors`, so that a step that fails can
    /// give its cause once, in the one line that ends the build.
    public func holdErrors() {
        lock.withLock { held = held ?? [] }
    }

    /// Stops holding; writes the held lines except the last `keeping` ones, which are returned.
    @discardableResult
    public func releaseErrors(keeping count: Int = 0) -> [String] {
        lock.withLock {
            defer { held = nil }
            let lines = held ?? []
            for line in lines.dropLast(count) where line.level <= level { writeLine("kindling: \(line.message)\n") }
            return lines.suffix(count).map(\.message)
        }
    }

    public func fatal(_ message: String) { log(.fatal, message) }
    public func error(_ message: String) { log(.error, message) }
    public func warning(_ message: String) { log(.warning, message) }
    public func info(_ message: String) { log(.info, message) }
    public func debug(_ message: String) { log(.debug, message) }
    public func trace(_ message: String) { log(.trace, message) }
}

/// Writes the text's bytes (a file name that is not UTF-8 comes out as its own bytes).
public func writeStandardError(_ text: String) {
    _ = writeAll(fd: 2, PathBytes.bytes(text))
}

public func writeStandardOutput(_ text: String) {
    _ = writeAll(fd: 1, PathBytes.bytes(text))
}

/// The system log, for dracut's sysloglvl: lines go to syslog(3) as "kindling[PID]".
public enum SystemLog {
    // openlog keeps the pointer it is given: the name must outlive every later call, so it is
    // copied once and never freed.
    private static let opened: Void = openlog(strdup("kindling"), LOG_PID, LOG_USER)

    public static func write(_ level: LogLevel, _ message: String) {
        _ = opened
        message.withCString { text in
            withVaList([text]) { vsyslog(priority(of: level), "%s", $0) }
        }
    }

    static func priority(of level: LogLevel) -> Int32 {
        switch level {
        case .fatal: LOG_CRIT
        case .error: LOG_ERR
        case .warning: LOG_WARNING
        case .info: LOG_INFO
        case .debug, .trace: LOG_DEBUG
        }
    }
}

/// The kernel's log, for dracut's kmsgloglvl: lines go to /dev/kmsg as "kindling[PID] MESSAGE"
/// with the priority dracut gives them (facility user), so `dmesg` shows them among the kernel's.
public struct KernelLog: Sendable {
    let device: String

    /// Nil when the device cannot be written (not root, or no such device).
    public init?(device: String = "/dev/kmsg") {
        guard access(device, W_OK) == 0 else { return nil }
        self.device = device
    }

    /// One open and one write per line, as dracut's `echo > /dev/kmsg`: the kernel rate-limits
    /// each open file to a burst of ten records, and takes each write as one whole record.
    public func write(_ level: LogLevel, _ message: String) {
        let record = PathBytes.bytes("<\(8 + Self.severity(of: level))>kindling[\(getpid())] \(message)\n")
        let descriptor = open(device, O_WRONLY | O_CLOEXEC | O_NOCTTY)
        guard descriptor >= 0 else { return }
        _ = record.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
    }

    /// dracut's _dlvl2syslvl: fatal 2, error 3, warning 4, info 6, debug and trace 7.
    static func severity(of level: LogLevel) -> Int {
        switch level {
        case .fatal: 2
        case .error: 3
        case .warning: 4
        case .info: 6
        case .debug, .trace: 7
        }
    }
}
