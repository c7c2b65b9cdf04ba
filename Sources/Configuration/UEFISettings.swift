#if canImport(Glibc)
import Glibc
#endif
import Support

/// --uefi and its variables: what the unified kernel image is made of and how it is signed. The
/// paths are the host's (the sysroot joined already); which kernel image is taken, and whether the
/// files are there, is the preflight's to find out.
public struct UEFISettings: Equatable, Sendable {
    /// uefi_stub, or systemd's stub for the build's architecture under the sysroot.
    public var stub: String
    /// True when uefi_stub named the stub: a missing one is then that setting's fault.
    public var stubIsGiven: Bool
    /// uefi_splash_image, under the sysroot; dracut leaves the splash out when it is missing.
    public var splashImage: String?
    /// kernel_image as given; nil: the sysroot's /lib/modules/KVER/vmlinuz or /boot/vmlinuz-KVER.
    public var kernelImage: String?
    /// The kernel images tried when kernel_image is not set, in dracut's order.
    public var kernelImageCandidates: [String]
    public var signing: SecureBootSigning?
    /// dracut-ng's --sbat: lines for a .sbat merged from the defaults, these, the kernel's and the stub's.
    public var sbat: String?
    /// hostonly_cmdline: without --kernel-cmdline, the image's /etc/cmdline.d makes the .cmdline.
    public var hostonlyCommandLine: Bool
    /// /etc/os-release, else /usr/lib/os-release, under the sysroot: the .osrel section.
    public var osReleaseCandidates: [String]

    /// The EFI name of each architecture dracut builds for.
    public static func machineTypeName(architecture: String) -> String? {
        switch architecture {
        case "x86_64": "x64"
        case "i386", "i486", "i586", "i686": "ia32"
        case "aarch64": "aa64"
        default: nil
        }
    }
}

/// uefi_secureboot_cert, uefi_secureboot_key and uefi_secureboot_engine: sbsign's arguments.
public struct SecureBootSigning: Equatable, Sendable {
    public var certificate: String
    public var key: String
    /// An OpenSSL engine that holds the key (a token); the key is then the engine's name for it.
    public var engine: String?
}

extension UEFISettings {
    /// Nil unless uefi=yes; throws for a half-given key pair or an architecture without a stub.
    static func read(
        _ variables: ShellVariables, kernelVersion: String, sysroot: String, architecture: String
    ) throws(ConfigError) -> UEFISettings? {
        guard variables["uefi"] == "yes" else { return nil }
        func nonEmpty(_ name: String) -> String? { variables[name].flatMap { $0.isEmpty ? nil : $0 } }
        let certificate = nonEmpty("uefi_secureboot_cert")
        let key = nonEmpty("uefi_secureboot_key")
        if (certificate == nil) != (key == nil) {
            throw ConfigError(
                description: "uefi_secureboot_key and uefi_secureboot_cert: give both or neither (only "
                    + "\(key == nil ? "uefi_secureboot_cert" : "uefi_secureboot_key") is set)")
        }
        guard let machine = machineTypeName(architecture: architecture) else {
            throw ConfigError(description: "--uefi: architecture '\(architecture)' has no UEFI stub")
        }
        let utilities = variables["systemdutildir"] ?? "/usr/lib/systemd"
        return UEFISettings(
            stub: nonEmpty("uefi_stub") ?? "\(sysroot)\(utilities)/boot/efi/linux\(machine).efi.stub",
            stubIsGiven: nonEmpty("uefi_stub") != nil,
            splashImage: nonEmpty("uefi_splash_image").map { sysroot + $0 },
            kernelImage: nonEmpty("kernel_image"),
            kernelImageCandidates: [
                "\(sysroot)/lib/modules/\(kernelVersion)/vmlinuz", "\(sysroot)/boot/vmlinuz-\(kernelVersion)",
            ],
            signing: certificate.map {
                SecureBootSigning(certificate: $0, key: key ?? "", engine: nonEmpty("uefi_secureboot_engine"))
            },
            sbat: nonEmpty("sbat"),
            hostonlyCommandLine: variables["hostonly_cmdline"] == "yes",
            osReleaseCandidates: ["\(sysroot)/etc/os-release", "\(sysroot)/usr/lib/os-release"])
    }
}

extension UEFISettings {
    /// `uname -m`, as dracut asks when DRACUT_ARCH is not set.
    public static func hostArchitecture() -> String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
