import Support

/// Times the phases of a build; with -v each phase ends with a line saying how long it took.
/// The status line on a terminal names the phase that runs.
struct PhaseTimer {
    let logger: Logger
    var progress: BuildProgress?

    func measure<Result>(_ phase: String, _ body: () throws -> Result) rethrows -> Result {
        progress?.enter(phase)
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
    static func now() -> Int64 { monotonicNanoseconds() }
}
