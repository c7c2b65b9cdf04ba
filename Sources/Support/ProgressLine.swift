#if canImport(Glibc)
import Glibc
#endif

/// One status line at the bottom of a terminal, rewritten in place while a long task runs. It
/// shows nothing for the first seconds (a quick task never flickers), redraws at most every
/// `interval`, and clears itself around anything else written to the terminal, so that a log
/// line is never mixed with it; `finish` leaves the terminal as if it had never been there.
///
/// The status text comes from `status`, asked on each redraw: the task only keeps its counts up
/// to date, and never waits for the terminal.
public final class ProgressLine: @unchecked Sendable {
    /// `\r` and "erase to the end of the line": the line's text is gone, the cursor at its start.
    static let clear = "\r\u{1B}[K"

    private let status: @Sendable () -> String
    private let write: @Sendable (String) -> Void
    private let now: @Sendable () -> Int64
    private let columns: @Sendable () -> Int
    private let firstDraw: Int64
    private let interval: Int64
    private let lock = Lock()
    /// The text on the terminal now; nil while nothing is shown.
    private var shown: String?
    private var lastDraw: Int64?
    private var isFinished = false
    private var timer: Thread?

    /// - Parameters:
    ///   - delay, interval: nanoseconds, on `now`'s clock (monotonic, in nanoseconds).
    ///   - columns: the terminal's width; the text is cut to one column less, since a line that
    ///     fills the last column wraps on some terminals and could then not be cleared.
    public init(
        delay: Int64 = 2_000_000_000, interval: Int64 = 100_000_000,
        now: @escaping @Sendable () -> Int64 = monotonicNanoseconds,
        columns: @escaping @Sendable () -> Int = { terminalColumns(of: STDERR_FILENO) },
        write: @escaping @Sendable (String) -> Void = { writeStandardError($0) },
        status: @escaping @Sendable () -> String
    ) {
        self.status = status
        self.write = write
        self.now = now
        self.columns = columns
        self.interval = interval
        firstDraw = now() + delay
    }

    /// Draws the current status, when the delay has passed, the last draw is at least `interval`
    /// old, and the text has changed.
    public func refresh() {
        lock.withLock {
            guard !isFinished else { return }
            let time = now()
            guard time >= firstDraw, lastDraw.map({ time - $0 >= interval }) ?? true else { return }
            let text = fitted(status())
            guard text != shown else { return }
            write("\r" + text + "\u{1B}[K")
            shown = text
            lastDraw = time
        }
    }

    /// Runs `body`, which writes to the terminal, with the status line cleared, then draws the line
    /// again below what `body` wrote.
    public func withLineCleared<Result>(_ body: () throws -> Result) rethrows -> Result {
        try lock.withLock {
            guard let text = shown else { return try body() }
            write(Self.clear)
            defer { write("\r" + text + "\u{1B}[K") }
            return try body()
        }
    }

    /// Calls `refresh` every `interval` on a thread of its own, until `finish`.
    public func startRefreshing() {
        let thread = Thread { [self] in
            while !lock.withLock({ isFinished }) {
                usleep(useconds_t(interval / 1000))
                refresh()
            }
        }
        lock.withLock { timer = thread }
    }

    /// Clears the line for good and stops the refreshing thread; later calls draw nothing.
    public func finish() {
        let thread = lock.withLock { () -> Thread? in
            if shown != nil { write(Self.clear) }
            shown = nil
            isFinished = true
            defer { timer = nil }
            return timer
        }
        thread?.join()
    }

    private func fitted(_ text: String) -> String {
        let line = text.prefix { $0 != "\n" && $0 != "\r" }
        return String(line.prefix(max(0, columns() - 1)))
    }
}

/// The width of the terminal `descriptor` is, or 80 when it cannot tell.
public func terminalColumns(of descriptor: Int32) -> Int {
    var size = winsize()
    guard ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
    return Int(size.ws_col)
}

/// Nanoseconds on the monotonic clock.
public func monotonicNanoseconds() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
}
