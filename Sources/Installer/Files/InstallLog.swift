#if canImport(Glibc)
import Glibc
#endif
import Support

/// dracut-install's `-L DIR`: every file copied from the host is named, one host path a line,
/// in `DIR/PID.log`. dracut runs one dracut-install per call and so writes many such files;
/// Kindling installs in process and writes one, named after its own process.
public final class InstallLog {
    public let path: String
    private let fd: Int32

    /// Opens (appending to) the log file of this process in `directory`.
    public init(directory: String) throws {
        path = directory + "/\(getpid()).log"
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw InstallError.system(path: path, operation: "open for logging", message: systemErrorDescription())
        }
    }

    deinit { close(fd) }

    /// Records one copied file by its host path.
    public func record(_ hostPath: String) {
        _ = writeAll(fd: fd, Array((hostPath + "\n").utf8))
    }
}
