import Foundation
import Support

/// Which dracut modules the build asks for (-m, -a, --force-add, -o and their config variables).
public struct ModuleRequestSettings: Equatable, Sendable {
    /// The modules named by -m or dracutmodules; empty for "all" (every module whose check passes).
    public var modules: [String]
    public var add: [String]
    public var forceAdd: [String]
    public var omit: [String]
}

/// The kernel drivers the build names itself (--drivers, --add-drivers, ...), as given.
public struct DriverRequestSettings: Equatable, Sendable {
    public var drivers: [String]
    public var add: [String]
    public var force: [String]
    public var filesystems: [String]
    public var omit: [String]
}

/// dracut's hostonly modes.
public enum HostonlyMode: String, Equatable, Sendable {
    case sloppy, strict
}

/// kdump_image: which capture image a kdump build makes (see ModuleGraph's KdumpImagePlanner).
public enum KdumpImagePreference: String, Equatable, Sendable {
    /// Kindling's own, when it can serve the dump target.
    case minimal
    /// The distribution's kdumpbase, as dracut would take it.
    case distro
}

/// The directories a build reads from and writes to, after dracut's defaults.
public struct BuildPaths: Equatable, Sendable {
    /// --tmpdir, $TMPDIR or /var/tmp.
    public var temporaryParent: String
    /// --kmoddir, when given.
    public var driversDirectory: String?
    /// The kernel's module directory (--kmoddir or /lib/modules/KVER/).
    public var kernelModules: String
    public var firmwareDirectories: [String]
    public var dracutBaseDirectory: String
    public var udevDirectory: String
    /// `$hookdirs` as modules see it: inst_hook checks a name against this text.
    public var hookDirectories: String
    public var hookDirectoryNames: [String] { ShellValue.scalar(hookDirectories).words }
    /// `$DRACUT_PATH`: where binaries are looked for.
    public var binarySearchPath: [String]
    /// --libdirs or libdirs=; empty: the loader's own directories.
    public var libraryDirectories: [String]
    /// --prefix, "" without one.
    public var prefix: String
    public var systemd: SystemdDirectories
    /// --loginstall DIR.
    public var installLog: String?
}

/// systemdutildir, systemdsystemunitdir and systemdsystemconfdir, for the image's systemd.conf.
public struct SystemdDirectories: Equatable, Sendable {
    public var utilities: String
    public var systemUnits: String
    public var systemConfiguration: String
    /// $systemdnetworkconfdir, which dracut-ng records in the image too.
    public var networkConfiguration: String = ""
}

/// The steps that turn the image tree into the archive.
public struct ImageSettings: Equatable, Sendable {
    /// dracut's compress setting, a name or a command line; the preflight resolves it into the
    /// archive's CompressionMethod (tool found, arguments fixed) before any work.
    public var compression: String
    /// do_strip, aggressive_strip.
    public var strip: Bool
    public var aggressiveStrip: Bool
    /// do_hardlink: identical files become one.
    public var hardlink: Bool
    public var earlyMicrocode: Bool
    /// --reproducible: times clamped, as with SOURCE_DATE_EPOCH.
    public var reproducible: Bool
    /// --enhanced-cpio.
    public var enhancedCpio: Bool
    /// --noimageifnotneeded.
    public var skipsUnneededImage: Bool
    /// --squash-compressor, squash_compress: the squash module's squashfs image compressor; nil
    /// for mksquashfs's own default.
    public var squashCompressor: SquashCompressor?
    /// dracut-ng's compress_level_NAME (--compress-level), by compressor name.
    public var compressionLevels: [String: Int] = [:]
    /// acpi_override=yes: acpi_table_dir, whose *.aml tables go into the early archive.
    public var acpiTableDirectory: String? = nil
    /// early_microcode_image_dir and early_microcode_image_name: early images whose microcode is
    /// taken for a vendor the firmware directories have none for; empty names: dracut's.
    public var microcodeImageDirectories: [String] = []
    public var microcodeImageNames: [String] = []
}

/// dracut's squash_compress: the compressor mksquashfs's `-comp` names, with the options that may
/// follow it. dracut passes the value unquoted, so its words are separate arguments and
/// `zstd -Xcompression-level 19` works; Kindling splits it the same way, once.
public struct SquashCompressor: Equatable, Sendable {
    /// The value as given, which dracut's warning about an unknown compressor quotes.
    public var setting: String
    /// The first word: the compressor's name, as mksquashfs knows it (gzip, zstd, xz, ...).
    public var name: String
    /// The words after it: options of that compressor (`-Xcompression-level 19`).
    public var options: [String]

    /// Nil when the setting has no words: mksquashfs then takes its default compressor.
    public init?(setting: String) {
        let words = ShellValue.scalar(setting).words
        guard let first = words.first else { return nil }
        self.setting = setting
        name = first
        options = Array(words.dropFirst())
    }

    /// mksquashfs's arguments that select it.
    public var arguments: [String] { ["-comp", name] + options }
}

/// What goes into the image besides the modules' files.
public struct ImageContents: Equatable, Sendable {
    /// -I / install_items and --install-optional / install_optional_items.
    public var installItems: [String]
    public var optionalItems: [String]
    /// --kernel-cmdline, for /etc/cmdline.d/01-default.conf; nil when not set.
    public var kernelCommandLine: String?
    /// --mount lines, for the image's fstab and the host's devices.
    public var mountLines: [String]
    /// --add-fstab files.
    public var fstabFiles: [String]
    /// --add-device.
    public var addedDevices: [String]
    /// dracut-ng's --remove and remove_items: paths taken out of the image just before it is written.
    public var removedPaths: [String] = []
}

/// Where the build's messages go besides standard error.
public struct LogSettings: Equatable, Sendable {
    /// --logfile and its level (fileloglvl).
    public var file: String?
    public var fileLevel: LogLevel
    /// sysloglvl: the lines up to this level go to syslog; nil for none.
    public var systemLogLevel: LogLevel?
    /// kmsgloglvl: the lines up to this level go to the kernel's log (/dev/kmsg); nil for none.
    public var kernelLogLevel: LogLevel?
    /// The level of standard error (stdloglvl, -v, -q).
    public var level: LogLevel
}

/// Every setting of a build, typed and checked once. The variables modules see in bash are kept
/// beside them, for export only: the engine reads the typed fields.
public struct BuildSettings: Sendable {
    public private(set) var kernelVersion: String
    public private(set) var outputPath: String
    public private(set) var sysroot: String
    public private(set) var moduleSearchPath: [String]
    /// Kindling's own modules.d, the last directory of the module path.
    public var ownModules: String { moduleSearchPath.last ?? "" }
    public private(set) var kdumpImage: KdumpImagePreference
    public private(set) var modules: ModuleRequestSettings
    public private(set) var drivers: DriverRequestSettings
    public private(set) var paths: BuildPaths
    public private(set) var image: ImageSettings
    public private(set) var contents: ImageContents
    public private(set) var log: LogSettings
    public private(set) var force: Bool
    public private(set) var noKernel: Bool
    public private(set) var kernelOnly: Bool
    public private(set) var hostonly: HostonlyMode?
    /// --show-modules: each module's name on standard output as it is installed.
    public private(set) var showsModules: Bool
    /// Seconds one module function may run; nil: no limit.
    public private(set) var moduleTimeout: Int?
    /// Seconds to wait for another build writing into the same directory; nil: no limit.
    public private(set) var lockTimeout: Int?
    /// The installed dracut, whose modules the build runs: 059 or dracut-ng.
    public private(set) var dracut: DracutRelease
    /// --uefi: the image goes into a unified kernel image; nil for a plain image.
    public private(set) var uefi: UEFISettings?
    /// The output is the default UEFI executable's, whose EFI/Linux directory dracut creates.
    public private(set) var createsOutputDirectory: Bool
    /// dracut's global variables, as modules will see them: exported to bash, never read by the engine.
    public private(set) var exportedVariables: ShellVariables

    /// Ten minutes: far beyond any sane check() or install(), short of a hung build.
    public static let defaultModuleTimeout = 600
    public static let defaultLockTimeout = 600

    /// dracut's hook points, in the order /init runs them.
    public static let hookDirectories = [
        "cmdline", "pre-udev", "pre-trigger", "netroot", "initqueue", "initqueue/settled", "initqueue/online",
        "initqueue/finished", "initqueue/timeout", "pre-mount", "pre-pivot", "cleanup", "mount", "emergency",
        "shutdown-emergency", "pre-shutdown", "shutdown",
    ]

    /// Reads the typed settings from variables that dracut's defaults have been applied to.
    init(
        normalized variables: ShellVariables, kernelVersion: String, outputPath: String, sysroot: String,
        moduleSearchPath: [String], logLevel: LogLevel, architecture: String = "x86_64",
        createsOutputDirectory: Bool = false, compressionLevels: [String: Int] = [:]
    ) throws(ConfigError) {
        func isYes(_ name: String) -> Bool { variables[name] == "yes" }
        func nonEmpty(_ name: String) -> String? { variables[name].flatMap { $0.isEmpty ? nil : $0 } }
        self.kernelVersion = kernelVersion
        self.outputPath = outputPath
        self.sysroot = sysroot
        self.moduleSearchPath = moduleSearchPath
        let requested = variables.words("dracutmodules")
        modules = ModuleRequestSettings(
            modules: requested == ["all"] ? [] : requested, add: variables.words("add_dracutmodules"),
            forceAdd: variables.words("force_add_dracutmodules"), omit: variables.words("omit_dracutmodules"))
        drivers = DriverRequestSettings(
            drivers: variables.words("drivers"), add: variables.words("add_drivers"),
            force: variables.words("force_drivers"), filesystems: variables.words("filesystems"),
            omit: variables.words("omit_drivers"))
        paths = BuildPaths(
            temporaryParent: variables["tmpdir"] ?? "/var/tmp", driversDirectory: nonEmpty("drivers_dir"),
            kernelModules: variables["srcmods"] ?? "", firmwareDirectories: variables.words("fw_dir"),
            dracutBaseDirectory: variables["dracutbasedir"] ?? "/usr/lib/dracut",
            udevDirectory: variables["udevdir"] ?? "/lib/udev", hookDirectories: variables["hookdirs"] ?? "",
            binarySearchPath: variables.words("DRACUT_PATH"), libraryDirectories: variables.words("libdirs"),
            prefix: variables["prefix"] ?? "",
            systemd: SystemdDirectories(
                utilities: variables["systemdutildir"] ?? "", systemUnits: variables["systemdsystemunitdir"] ?? "",
                systemConfiguration: variables["systemdsystemconfdir"] ?? "",
                networkConfiguration: variables["systemdnetworkconfdir"] ?? ""),
            installLog: nonEmpty("loginstall"))
        image = ImageSettings(
            compression: variables["compress"] ?? "", strip: isYes("do_strip"),
            aggressiveStrip: isYes("aggressive_strip"), hardlink: isYes("do_hardlink"),
            earlyMicrocode: isYes("early_microcode"), reproducible: isYes("reproducible"),
            enhancedCpio: isYes("enhanced_cpio"), skipsUnneededImage: isYes("noimageifnotneeded"),
            squashCompressor: variables["squash_compress"].flatMap(SquashCompressor.init(setting:)),
            compressionLevels: compressionLevels,
            acpiTableDirectory: isYes("acpi_override") ? nonEmpty("acpi_table_dir") : nil,
            // dracut-ng looks under the sysroot, 059 in the host's /boot.
            microcodeImageDirectories: variables.elements("early_microcode_image_dir").isEmpty
                ? [(DracutRelease.installed(in: variables["dracutbasedir"] ?? "").flavour == .dracutNG ? sysroot : "") + "/boot"]
                : variables.elements("early_microcode_image_dir"),
            microcodeImageNames: variables.elements("early_microcode_image_name"))
        contents = ImageContents(
            installItems: variables.words("install_items"), optionalItems: variables.words("install_optional_items"),
            kernelCommandLine: variables.has("kernel_cmdline") ? variables["kernel_cmdline"] : nil,
            mountLines: variables.elements("fstab_lines"), fstabFiles: variables.words("add_fstab"),
            addedDevices: variables.words("add_device"), removedPaths: variables.words("remove_items"))
        log = LogSettings(
            file: nonEmpty("logfile"),
            fileLevel: Int(variables["fileloglvl"] ?? "").flatMap(LogLevel.init(rawValue:)) ?? .info,
            systemLogLevel: Int(variables["sysloglvl"] ?? "").flatMap { LogLevel(rawValue: min($0, 6)) },
            kernelLogLevel: Int(variables["kmsgloglvl"] ?? "").flatMap { LogLevel(rawValue: min($0, 6)) },
            level: logLevel)
        force = isYes("force")
        noKernel = isYes("no_kernel")
        kernelOnly = isYes("kernel_only")
        hostonly = variables["hostonly"] == "-h" ? HostonlyMode(rawValue: variables["hostonly_mode"] ?? "") : nil
        showsModules = isYes("show_modules")
        kdumpImage = try Self.kdumpImage(variables["kdump_image"])
        moduleTimeout = try Self.seconds(
            variables["module_timeout"], what: "module timeout",
            defaultValue: Self.defaultModuleTimeout)
        lockTimeout = try Self.seconds(
            variables["lock_timeout"], what: "lock timeout",
            defaultValue: Self.defaultLockTimeout)
        dracut = DracutRelease.owning(moduleSearchPath: moduleSearchPath, baseDirectory: paths.dracutBaseDirectory)
        uefi = try UEFISettings.read(
            variables, kernelVersion: kernelVersion, sysroot: sysroot, architecture: architecture)
        self.createsOutputDirectory = createsOutputDirectory
        exportedVariables = variables
    }

    private static func kdumpImage(_ text: String?) throws(ConfigError) -> KdumpImagePreference {
        guard let text, !text.isEmpty else { return .minimal }
        guard let preference = KdumpImagePreference(rawValue: text) else {
            throw ConfigError(description: "invalid kdump_image \(PathBytes.quoted(text)): give minimal or distro")
        }
        return preference
    }

    /// A timeout in seconds: unset or empty for the default, 0 for none.
    private static func seconds(_ text: String?, what: String, defaultValue: Int) throws(ConfigError) -> Int? {
        guard let text, !text.isEmpty else { return defaultValue }
        guard let seconds = Int(text), seconds >= 0 else {
            throw ConfigError(
                description: "invalid \(what) \(PathBytes.quoted(text)): give a number of seconds (0: no limit)")
        }
        return seconds == 0 ? nil : seconds
    }

    /// --rebuild onto the image it reads: the old image is replaced, as with --force.
    public mutating func overwriteExistingImage() {
        force = true
        exportedVariables["force"] = "yes"
    }

    /// A host that cannot be looked at gets a generic image.
    public mutating func turnOffHostonly() {
        hostonly = nil
        exportedVariables.remove("hostonly")
    }

    /// Whether --regenerate-all rebuilds side by side (--parallel, parallel=yes).
    static func regeneratesInParallel(_ variables: ShellVariables) -> Bool { variables["parallel"] == "yes" }
}
