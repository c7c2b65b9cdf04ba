import Foundation

/// Where dracut 059, as Debian ships it, writes an image nobody named: the boot loader entry
/// directory when the system follows the Boot Loader Specification, the kernel's own prebuilt
/// initrd when there is one, otherwise /boot/initrd.img-KVER.
public struct DefaultImagePath {
    public var sysroot: String
    /// False with --no-machineid: no entry directory is named after the machine.
    public var usesMachineID: Bool
    /// Whether a host directory is a mount point; dracut asks only when there is no sysroot.
    public var isMountPoint: (String) -> Bool

    public init(
        sysroot: String, usesMachineID: Bool = true,
        isMountPoint: @escaping (String) -> Bool = MountTable.isMountPoint
    ) {
        self.sysroot = sysroot
        self.usesMachineID = usesMachineID
        self.isMountPoint = isMountPoint
    }

    /// - Parameter imageName: the name under /boot, dracut-ng's initrdname; nil for Debian's
    ///   `initrd.img-KVER`.
    public func path(forKernel kernel: String, imageName: String? = nil) -> String {
        let machineID = usesMachineID ? self.machineID() : nil
        if let machineID {
            for boot in ["/efi", "/boot", "/boot/efi"]
            where isDirectoryOrLink(sysroot + boot + "/loader/entries") && isDirectoryOrLink(sysroot + boot + "/" + machineID) {
                return "\(sysroot)\(boot)/\(machineID)/\(kernel)/initrd"
            }
        }
        let prebuilt = "\(sysroot)/lib/modules/\(kernel)/initrd"
        if isRegularFile(prebuilt) { return prebuilt }
        let debian = "\(sysroot)/boot/" + (imageName ?? "initrd.img-\(kernel)")
        if FileManager.default.fileExists(atPath: "\(sysroot)/boot/vmlinuz-\(kernel)") { return debian }
        if sysroot.isEmpty, let machineID {
            for boot in ["/efi", "/boot/efi"] where isMountPoint(boot) {
                return "\(boot)/\(machineID)/\(kernel)/initrd"
            }
        }
        return debian
    }

    /// Where dracut writes a UEFI executable nobody named: EFI/Linux on the EFI system partition,
    /// named after the kernel, the machine and the OS build. Without a sysroot, /efi when it is a
    /// mount point, else /boot/efi/EFI when it exists, else /boot/EFI; with one, /boot/efi/EFI or
    /// /boot/EFI under it.
    public func executablePath(forKernel kernel: String) -> String {
        var directory = "/boot/EFI"
        if sysroot.isEmpty && isDirectory("/efi") && isMountPoint("/efi") {
            directory = "/efi/EFI"
        } else if isDirectory(sysroot + "/boot/efi/EFI") {
            directory = "/boot/efi/EFI"
        }
        let machine = usesMachineID ? "-" + machineID() : ""
        let build = buildID().map { "-" + $0 } ?? ""
        return "\(sysroot)\(directory)/Linux/linux-\(kernel)\(machine)\(build).efi"
    }

    /// BUILD_ID of /etc/os-release, else of /usr/lib/os-release: the value as data, unquoted, never
    /// run as dracut's eval would.
    func buildID() -> String? {
        for file in ["/etc/os-release", "/usr/lib/os-release"] {
            guard let text = try? String(contentsOfFile: sysroot + file, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") where line.hasPrefix("BUILD_ID=") {
                let words = (try? ShellWords.split(String(line.dropFirst("BUILD_ID=".count)))) ?? []
                return words.isEmpty ? nil : words.joined(separator: " ")
            }
        }
        return nil
    }

    /// "Default" when an entry directory of that name exists, else /etc/machine-id, else "Default".
    func machineID() -> String {
        if ["/efi/Default", "/boot/Default", "/boot/efi/Default"].contains(where: { isDirectory(sysroot + $0) }) {
            return "Default"
        }
        if let text = try? String(contentsOfFile: sysroot + "/etc/machine-id", encoding: .utf8) {
            return String(text.prefix { $0 != "\n" })
        }
        return "Default"
    }

    /// A directory, or a symbolic link even when it dangles, as dracut's `-d || -L` test.
    private func isDirectoryOrLink(_ path: String) -> Bool {
        var status = stat()
        return isDirectory(path) || (lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFLNK)
    }

    private func isDirectory(_ path: String) -> Bool {
        var flag: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
    }

    private func isRegularFile(_ path: String) -> Bool {
        var flag: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && !flag.boolValue
    }
}

/// The host's mount points, from /proc/self/mountinfo.
public enum MountTable {
    public static func isMountPoint(_ path: String) -> Bool {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return false }
        return mountPoints(inMountInfo: text).contains(path)
    }

    /// The fifth field of each line, with the kernel's octal escapes (\040 for a space) undone.
    static func mountPoints(inMountInfo text: String) -> Set<String> {
        var points = Set<String>()
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { continue }
            points.insert(unescape(String(fields[4])))
        }
        return points
    }

    static func unescape(_ field: String) -> String {
        var bytes: [UInt8] = []
        var rest = Array(field.utf8)[...]
        while let byte = rest.first {
            let digits = rest.dropFirst().prefix(3)
            if byte == UInt8(ascii: "\\"), digits.count == 3, digits.allSatisfy({ (48...55).contains($0) }) {
                bytes.append(UInt8(truncatingIfNeeded: digits.reduce(0) { $0 * 8 + Int($1 - 48) }))
                rest = rest.dropFirst(4)
            } else {
                bytes.append(byte)
                rest = rest.dropFirst()
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
