#if canImport(Glibc)
import Glibc
#endif
import Support

/// What a build has done so far, as the phases report it: the phase it is in, and how many
/// dracut modules, kernel modules and archive bytes are behind it. Any thread may report; the
/// status line reads it from its own.
final class BuildProgress: @unchecked Sendable {
    private let lock = Lock()
    private var phase = "Starting"
    private var modules = 0
    private var kernelModules = 0
    private var archiveBytes: UInt64 = 0
    /// The status line while one is shown.
    private var line: ProgressLine?

    func enter(_ phase: String) { lock.withLock { self.phase = phase } }
    func moduleInstalled() { lock.withLock { modules += 1 } }
    func kernelModuleInstalled() { lock.withLock { kernelModules += 1 } }
    func archiveWritten(_ count: Int) { lock.withLock { archiveBytes += UInt64(count) } }

    /// `kindling: Writing the image: 12 dracut modules, 840 kernel modules, 3.5 MiB written`; a count
    /// still at zero is left out.
    var status: String {
        lock.withLock {
            var counts: [String] = []
            if modules > 0 { counts.append(modules == 1 ? "1 dracut module" : "\(modules) dracut modules") }
            if kernelModules > 0 { counts.append(kernelModules == 1 ? "1 kernel module" : "\(kernelModules) kernel modules") }
            if archiveBytes > 0 { counts.append("\(Self.size(archiveBytes)) written") }
            return "kindling: \(phase)" + (counts.isEmpty ? "" : ": " + counts.joined(separator: ", "))
        }
    }

    /// Bytes in the largest binary unit that keeps a whole number in front, with one decimal.
    static func size(_ bytes: UInt64) -> String {
        guard bytes >= 1024 else { return "\(bytes) B" }
        var value = Double(bytes)
        var unit = 0
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let tenths = Int((value * 10).rounded(.down))
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}

extension BuildProgress {
    /// Runs `body` with this progress on a status line, when standard error is a terminal (never
    /// a pipe or a file, where the line would be garbage) and the log shows information (never
    /// with -q). The line appears after two seconds, the logger clears it around its lines, and
    /// it is gone when `body` returns or throws.
    func shownOnTerminal<Result>(logger: Logger, environment: [String: String], _ body: () throws -> Result) rethrows -> Result {
        guard isatty(STDERR_FILENO) == 1, logger.level >= .info, environment["TERM"] != "dumb" else { return try body() }
        let line = ProgressLine { [self] in status }
        lock.withLock { self.line = line }
        logger.keepLinesClear(of: line)
        line.startRefreshing()
        defer {
            line.finish()
            logger.keepLinesClear(of: nil)
            lock.withLock { self.line = nil }
        }
        return try body()
    }

    /// Runs `body`, which writes to standard output (the same terminal, often), with the status
    /// line cleared.
    func withLineCleared<Result>(_ body: () throws -> Result) rethrows -> Result {
        guard let line = lock.withLock({ line }) else { return try body() }
        return try line.withLineCleared(body)
    }
}
