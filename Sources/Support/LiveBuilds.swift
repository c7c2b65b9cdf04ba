#if canImport(Glibc)
import Glibc
#endif

/// The other builds running on this machine, as far as /proc tells: what a build may treat as
/// left behind by a killed one must be older than every one of them, whatever version of Kindling
/// (or dracut, under its name) they are and whatever lock they take.
public enum LiveBuilds {
    /// The programs whose temporary files a build looks after.
    static let names: Set<String> = ["kindling", "dracut"]

    /// A time before which nothing a live build made can have changed: the start of the oldest
    /// other running build, or `now` when there is none. Nil when /proc cannot tell (then nothing
    /// is old enough to remove).
    public static func cutoff(now: time_t = time(nil)) -> time_t? {
        guard let boot = bootTime(), let entries = directoryEntries("/proc") else { return nil }
        let ticks = time_t(sysconf(Int32(_SC_CLK_TCK)))
        guard ticks > 0 else { return nil }
        var oldest = now
        for name in entries {
            guard let pid = pid_t(name), pid != getpid(), let command = commandName(of: pid), names.contains(command),
                let started = startTicks(of: pid)
            else { continue }
            oldest = min(oldest, boot + started / ticks)
        }
        return oldest
    }

    /// The command name of a process (/proc/PID/comm); nil when it is gone or /proc cannot tell.
    public static func commandName(of pid: pid_t) -> String? {
        readSmallFile("/proc/\(pid)/comm").map { $0.trimmingSuffix("\n") }.flatMap { $0.isEmpty ? nil : $0 }
    }

    private static func bootTime() -> time_t? {
        guard let text = readSmallFile("/proc/stat", limit: 65536) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return time_t(line.dropFirst(6).trimmingSuffix(" "))
        }
        return nil
    }

    /// Field 22 of /proc/PID/stat, after the command in parentheses (which may hold spaces).
    private static func startTicks(of pid: pid_t) -> time_t? {
        guard let text = readSmallFile("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (the state): field 22 is fields[19].
        return fields.count > 19 ? time_t(fields[19]) : nil
    }

    private static func readSmallFile(_ path: String, limit: Int = 4096) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: limit)
        let count = read(descriptor, &buffer, limit)
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : nil
    }
}

extension StringProtocol {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        var text = String(self)
        while text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        return text
    }
}
