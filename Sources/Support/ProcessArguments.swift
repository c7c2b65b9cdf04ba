import CSystem

#if canImport(Glibc)
import Glibc
#endif

/// The command line and the program's own path, without /proc: the Swift runtime on Linux takes
/// `CommandLine` from /proc/self/cmdline, which is missing in a chroot or container without
/// /proc (CommandLine.argc is 0 there, and every argument would be lost).
public enum ProcessArguments {
    /// Every argument as the bytes the kernel passed, argv[0] first (a file name need not be UTF-8).
    public static var bytes: [[UInt8]] {
        if let saved = kindling_process_argv(), kindling_process_argc() > 0 {
            return list(saved, count: Int(kindling_process_argc()))
        }
        return list(CommandLine.unsafeArgv, count: Int(CommandLine.argc))
    }

    private static func list(_ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>, count: Int) -> [[UInt8]] {
        (0..<count).compactMap { index in
            argv[index].map { Array(UnsafeRawBufferPointer(start: $0, count: strlen($0))) }
        }
    }

    /// The running program: /proc/self/exe when /proc is there, else argv[0] as the shell found
    /// it (a name without a slash is looked up in $PATH). Nil when neither says.
    public static func executablePath(
        argumentZero: String?, searchPath: String? = getenv("PATH").map { String(cString: $0) },
        selfLink: String = "/proc/self/exe"
    ) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(selfLink, &buffer, buffer.count - 1)
        if length > 0 {
            return PathBytes.string(buffer[..<length].map { UInt8(bitPattern: $0) })
        }
        guard let name = argumentZero, !name.isEmpty else { return nil }
        if name.contains("/") { return name }
        for directory in (searchPath ?? "").split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return name
    }
}
