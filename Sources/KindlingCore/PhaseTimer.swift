#if canImport(Glibc)
import Glibc
#endif
import Support

/// Times the phases of a build; with -v each phase ends with a line saying how long it took.
struct PhaseTimer {
    let logger: Logger

    func measure<Result>(_ phase: String, _ body: () throws -> Result) rethrows -> Result {
        let start = Self.now()
        let result = try body()
        logger.debug(Self.line(phase, since: start))
        return result
    }

    static func line(_ phase: String, since start: Int64) -> String {
        "*** \(phase) done in \(format(Double(now() - start) / 1e9)) s ***"
    }

    /// Three decimals, without Foundation's locale-dependent formatting.
    static func format(_ seconds: Double) -> String {
        let milliseconds = Int((seconds * 1000).rounded())
        let fraction = String(milliseconds % 1000)
        return "\(milliseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    /// Nanoseconds on the monotonic clock.
    static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}
