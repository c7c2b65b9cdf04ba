#if canImport(Glibc)
import Glibc
#endif
import Support

/// Finds the installed image of a kernel when no image is named, checking the places lsinitrd
/// checks: boot-loader-spec directories first, then the conventional file names.
enum DefaultImage {
    static func path(kernelVersion: String?) -> (path: String?, kernelVersion: String) {
        let version = kernelVersion ?? runningKernelVersion()
        let machineID = self.machineID()
        var candidates: [String] = []
        for base in ["/efi", "/boot", "/boot/efi"]
        where exists("\(base)/loader/entries") && exists("\(base)/\(machineID)") {
            candidates.append("\(base)/\(machineID)/\(version)/initrd")
        }
        candidates += [
            "/lib/modules/\(version)/initrd",
            "/lib/modules/\(version)/initramfs.img",
            "/boot/initrd.img-\(version)",
            "/boot/initramfs-\(version).img",
        ]
        return (candidates.first(where: isRegularFile), version)
    }

    private static func runningKernelVersion() -> String {
        var names = utsname()
        uname(&names)
        return withUnsafeBytes(of: names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// "Default" when a Default entry directory exists, otherwise /etc/machine-id.
    private static func machineID() -> String {
        if ["/efi/Default", "/boot/Default", "/boot/efi/Default"].contains(where: exists) { return "Default" }
        let descriptor = open("/etc/machine-id", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return "Default" }
        defer { close(descriptor) }
        let firstLine = readAll(fd: descriptor).prefix { $0 != UInt8(ascii: "\n") }
        return firstLine.isEmpty ? "Default" : String(decoding: firstLine, as: UTF8.self)
    }

    private static func exists(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0
    }
}

func isRegularFile(_ path: String) -> Bool {
    var status = stat()
    return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFREG
}
