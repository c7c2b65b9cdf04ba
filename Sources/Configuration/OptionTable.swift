/// What an option does to dracut's variables.
public enum OptionEffect: Sendable, Equatable {
    /// Appended to the config value of the variable (dracut's `_l` arrays applied with `+=`).
    case appendList(String)
    /// Appended as one element to an array variable (`--mount` lines).
    case appendElement(String)
    /// Replaces the config value of the variable (applied after the config files).
    case replaceList(String)
    /// Replaces a scalar after the config files, when given.
    case scalar(String)
    /// Sets a variable to a fixed value after the config files.
    case set(String, String)
    /// Sets a variable before the config files, so a config file that sets it wins (dracut's quirk
    /// for force, kernel_only, no_kernel, sshkey, debug, hostonly_default_device, noimageifnotneeded).
    case early(String, String)
    /// Sets a variable to the option's value before the config files (dracut's --sshkey).
    case earlyValue(String)
    /// Sets several variables at once.
    case several([OptionEffect])
    /// Handled by the command itself (help, version, verbosity, list-modules, ...).
    case command(CommandOption)
}

/// The options that set no variable: the loader reads them itself.
public enum CommandOption: String, Sendable, Equatable {
    case help, version, verbose, quiet, keep, local, sysroot, rebuild, include, explain, conf, confdir
    case printSize = "printsize"
    case printConfig = "printconfig"
    case noCompress = "no-compress"
    case listModules = "list-modules"
    case printCommandLine = "print-cmdline"
    case regenerateAll = "regenerate-all"
    case addConfdir = "add-confdir"
    case modulesDir = "modules-dir"
    case explainSVG = "explain-svg"
}

/// One option of dracut 059's command line.
public struct OptionSpec: Sendable {
    public var longNames: [String]
    public var shortName: Character?
    /// What `--help` and the manual page call the option's value (`LIST`, `DIR`); nil for a flag.
    public var argument: String?
    /// What the option does, in one short line for `--help`.
    public var summary: String
    public var effect: OptionEffect
    /// False while Kindling cannot yet do what the option asks: using it is an error, never a no-op.
    public var isSupported: Bool
    /// Whether dracut stores it in build-parameter.txt (it leaves out --logfile).
    public var isStored: Bool

    /// The summary has no default, so an option cannot join the table without its line in `--help`.
    public init(
        longNames: [String], shortName: Character? = nil, argument: String? = nil, summary: String, effect: OptionEffect,
        isSupported: Bool = true, isStored: Bool = true
    ) {
        self.longNames = longNames
        self.shortName = shortName
        self.argument = argument
        self.summary = summary
        self.effect = effect
        self.isSupported = isSupported
        self.isStored = isStored
    }

    public var takesValue: Bool { argument != nil }

    public var displayName: String { longNames.first.map { "--\($0)" } ?? "-\(shortName!)" }

    /// Every name as typed (`-a, --add`), the short one first.
    public var names: [String] { (shortName.map { ["-\($0)"] } ?? []) + longNames.map { "--\($0)" } }
}

/// The topics `--help` sorts the options into, in dracut 059's order of topics.
public enum OptionGroup: Sendable, CaseIterable {
    case image, dracutModules, kernelModules, bootSettings, imageLayout, hostConfiguration, logging, configuration
    case hostOnly, mounts, extraFiles, compression, reports, uefi, severalKernels, timeLimits

    public var heading: String {
        switch self {
        case .image: "The image and its kernel"
        case .dracutModules: "Choosing dracut modules"
        case .kernelModules: "Kernel modules, firmware and libraries"
        case .bootSettings: "Kernel command line and microcode"
        case .imageLayout: "Stripping, hard links and prefix"
        case .hostConfiguration: "Host configuration and file system checks"
        case .logging: "Help and logging"
        case .configuration: "Configuration files and directories"
        case .hostOnly: "Host-only images"
        case .mounts: "Mounts and devices"
        case .extraFiles: "Extra files"
        case .compression: "Compression and the archive"
        case .reports: "Listings and reports"
        case .uefi: "UEFI executables"
        case .severalKernels: "Several kernels"
        case .timeLimits: "Time limits (Kindling's own)"
        }
    }
}

/// Every option dracut 059 or dracut-ng 112 recognises, plus Kindling's additions (--modules-dir,
/// --explain, --explain-svg, --kdump-image, --module-timeout, --lock-timeout), each in its `--help` topic. The one list that
/// the parser, `--help`, and the tests of the manual page and the bash completion all read.
public enum OptionTable {
    public static let groups: [(group: OptionGroup, options: [OptionSpec])] = [
        (
            .image,
            [
                value("kver", argument: "VERSION", effect: .scalar("kernel"), summary: "build for kernel VERSION, not the running one"),
                flag("force", short: "f", effect: .early("force", "yes"), summary: "replace an image that already exists"),
                // Read before everything else (RebuildRequest); never stored.
                value(
                    "rebuild", argument: "IMAGE", effect: .command(.rebuild), stored: false,
                    summary: "build IMAGE again with the options stored in it, then these"),
                flag(
                    "noimageifnotneeded", effect: .early("noimageifnotneeded", "yes"),
                    summary: "write no image when a host-only build finds none is needed"),
            ]
        ),
        (
            .dracutModules,
            [
                value("add", short: "a", argument: "LIST", effect: .appendList("add_dracutmodules"), summary: "add these dracut modules"),
                value(
                    "force-add", argument: "LIST", effect: .appendList("force_add_dracutmodules"),
                    summary: "add these modules even when a host-only check refuses"),
                value(
                    "omit", short: "o", argument: "LIST", effect: .appendList("omit_dracutmodules"),
                    summary: "leave these modules out, and those that need them"),
                value(
                    "modules", short: "m", argument: "LIST", effect: .replaceList("dracutmodules"),
                    summary: "use only these modules and what they depend on"),
                value("modules-dir", argument: "DIR", effect: .command(.modulesDir), summary: "look for modules in DIR first"),
                // Kindling's: which capture image a kdump build makes.
                value(
                    "kdump-image", argument: "IMAGE", effect: .scalar("kdump_image"),
                    summary: "the kdump image: minimal (the default) or distro"),
            ]
        ),
        (
            .kernelModules,
            [
                value("add-drivers", argument: "LIST", effect: .appendList("add_drivers"), summary: "install these kernel modules as well"),
                value(
                    "force-drivers", argument: "LIST", effect: .appendList("force_drivers"),
                    summary: "install these kernel modules and load them first at boot"),
                value("omit-drivers", argument: "LIST", effect: .appendList("omit_drivers"), summary: "never install these kernel modules"),
                value(
                    "drivers", short: "d", argument: "LIST", effect: .replaceList("drivers"),
                    summary: "install these kernel modules instead of the usual set"),
                value(
                    "filesystems", argument: "LIST", effect: .replaceList("filesystems"),
                    summary: "install the kernel modules of these file systems"),
                value(
                    "kmoddir", short: "k", argument: "DIR", effect: .scalar("drivers_dir"),
                    summary: "take kernel modules from DIR, not /lib/modules/VERSION"),
                value("fwdir", argument: "DIRS", effect: .replaceList("fw_dir"), summary: "look for firmware in these directories"),
                value("libdirs", argument: "DIRS", effect: .replaceList("libdirs"), summary: "look for libraries in these directories"),
                flag(
                    "kernel-only", effect: .several([.early("kernel_only", "yes"), .early("no_kernel", "no")]),
                    summary: "install only kernel modules and firmware"),
                flag(
                    "no-kernel", effect: .several([.early("kernel_only", "no"), .early("no_kernel", "yes")]),
                    summary: "install no kernel modules and no firmware"),
            ]
        ),
        (
            .bootSettings,
            [
                flag(
                    "print-cmdline", effect: .command(.printCommandLine),
                    summary: "print the kernel arguments this host needs, and exit"),
                flag(
                    "early-microcode", effect: .set("early_microcode", "yes"),
                    summary: "put processor microcode in an early archive (default)"),
                flag("no-early-microcode", effect: .set("early_microcode", "no"), summary: "leave the early microcode archive out"),
                value(
                    "kernel-cmdline", argument: "ARGUMENTS", effect: .appendList("kernel_cmdline"),
                    summary: "add these arguments to the command line the image sees"),
            ]
        ),
        (
            .imageLayout,
            [
                flag("strip", effect: .set("do_strip", "yes"), summary: "strip debugging data from programs (default)"),
                flag(
                    "aggressive-strip", effect: .set("aggressive_strip", "yes"),
                    summary: "strip every symbol that is not needed, not only debugging data"),
                flag("nostrip", effect: .set("do_strip", "no"), summary: "do not strip"),
                flag("hardlink", effect: .set("do_hardlink", "yes"), summary: "store identical files once, as hard links (default)"),
                flag("nohardlink", effect: .set("do_hardlink", "no"), summary: "store every file on its own"),
                value("prefix", argument: "DIR", effect: .scalar("prefix"), summary: "put the image's files under DIR"),
                flag("noprefix", effect: .set("prefix", "/"), summary: "put the files at their usual places (default)"),
            ]
        ),
        (
            .hostConfiguration,
            [
                flag("mdadmconf", effect: .set("mdadmconf", "yes"), summary: "include the host's /etc/mdadm.conf"),
                flag("nomdadmconf", effect: .set("mdadmconf", "no"), summary: "leave /etc/mdadm.conf out"),
                flag("lvmconf", effect: .set("lvmconf", "yes"), summary: "include the host's LVM configuration"),
                flag("nolvmconf", effect: .set("lvmconf", "no"), summary: "leave the LVM configuration out"),
                value("fscks", argument: "LIST", effect: .appendList("fscks"), summary: "install these fsck tools"),
                flag("nofscks", effect: .set("nofscks", "yes"), summary: "install no fsck tools"),
                flag("ro-mnt", effect: .set("ro_mnt", "yes"), summary: "mount / and /usr read-only at boot"),
                value(
                    "nvmf-nbft-mode", argument: "MODE", effect: .scalar("nvmf_nbft_mode"),
                    summary: "NVMe over fabrics from the NBFT: nbft, match or static"),
            ]
        ),
        (
            .logging,
            [
                flag("help", short: "h", effect: .command(.help), summary: "print this help and exit"),
                flag("version", effect: .command(.version), summary: "print the version and exit"),
                flag("debug", effect: .early("debug", "yes"), summary: "set debug=yes for the modules"),
                flag("profile", effect: .early("debug", "yes"), supported: false, summary: "profile the build's shell code"),
                value(
                    "stdlog", short: "L", argument: "LEVEL", effect: .scalar("stdloglvl"),
                    summary: "log to standard error up to LEVEL: 0 nothing ... 6 tracing"),
                flag("verbose", short: "v", effect: .command(.verbose), summary: "log more; may be repeated"),
                flag("quiet", short: "q", effect: .command(.quiet), summary: "log less; may be repeated"),
            ]
        ),
        (
            .configuration,
            [
                value("conf", short: "c", argument: "FILE", effect: .command(.conf), summary: "read FILE instead of /etc/dracut.conf"),
                value(
                    "confdir", argument: "DIR", effect: .command(.confdir),
                    summary: "read DIR/*.conf instead of /etc/dracut.conf.d/*.conf"),
                value(
                    "add-confdir", argument: "DIR", effect: .command(.addConfdir),
                    summary: "read DIR/*.conf as well (a bare name: a drop-in subdirectory)"),
                value("tmpdir", argument: "DIR", effect: .scalar("tmpdir"), summary: "make the temporary build directory in DIR"),
                value("sysroot", short: "r", argument: "DIR", effect: .command(.sysroot), summary: "build from the system installed under DIR"),
                flag(
                    "local", short: "l", effect: .command(.local),
                    summary: "read the configuration from dracut's base directory"),
            ]
        ),
        (
            .hostOnly,
            [
                flag("hostonly", "host-only", short: "H", effect: .set("hostonly", "yes"), summary: "build an image for this host only"),
                flag(
                    "no-hostonly", "no-host-only", short: "N", effect: .set("hostonly", "no"),
                    summary: "build a generic image (default)"),
                value(
                    "hostonly-mode", argument: "MODE", effect: .scalar("hostonly_mode"),
                    summary: "how strictly: sloppy (default) or strict"),
                flag(
                    "hostonly-cmdline", effect: .set("hostonly_cmdline", "yes"),
                    summary: "store the kernel arguments this host needs in the image"),
                flag("no-hostonly-cmdline", effect: .set("hostonly_cmdline", "no"), summary: "store no host kernel arguments"),
                flag(
                    "no-hostonly-default-device", effect: .early("hostonly_default_device", "no"),
                    summary: "leave out the root, /usr and swap devices"),
                flag("hostonly-i18n", effect: .set("i18n_install_all", "no"), summary: "install only this host's keymap and font"),
                flag("no-hostonly-i18n", effect: .set("i18n_install_all", "yes"), summary: "install every keymap and font"),
                value(
                    "hostonly-nics", argument: "LIST", effect: .appendList("hostonly_nics"),
                    summary: "configure only these network interfaces"),
                value(
                    "persistent-policy", argument: "POLICY", effect: .scalar("persistent_policy"),
                    summary: "name devices by their /dev/disk/by-POLICY links"),
            ]
        ),
        (
            .mounts,
            [
                flag("fstab", effect: .set("use_fstab", "yes"), summary: "take the host's file systems from /etc/fstab"),
                value("add-fstab", argument: "FILE", effect: .appendList("add_fstab"), summary: "add FILE's entries to the image's fstab"),
                value(
                    "mount", argument: "\"DEVICE MOUNTPOINT TYPE [OPTIONS]\"", effect: .appendElement("fstab_lines"),
                    summary: "mount DEVICE on MOUNTPOINT in the image"),
                value(
                    "device", "add-device", argument: "DEVICE", effect: .appendList("add_device"),
                    summary: "count DEVICE as a host device"),
            ]
        ),
        (
            .extraFiles,
            [
                // -i/--include takes two values and is parsed on its own, as dracut does.
                value(
                    "include", short: "i", argument: "SOURCE TARGET", effect: .command(.include),
                    summary: "copy SOURCE (a file or directory) to TARGET in the image"),
                value(
                    "install", short: "I", argument: "LIST", effect: .appendList("install_items"),
                    summary: "install these files and what they need"),
                value(
                    "install-optional", argument: "LIST", effect: .appendList("install_optional_items"),
                    summary: "install these files when they exist"),
                value("sshkey", argument: "FILE", effect: .earlyValue("sshkey"), summary: "install this SSH key, for dumps over SSH"),
                // dracut-ng's: the paths go after the strip, just before the archive is written.
                value(
                    "remove", argument: "LIST", effect: .appendList("remove_items"),
                    summary: "remove these paths from the image before it is written"),
            ]
        ),
        (
            .compression,
            [
                flag("gzip", effect: .set("compress", "gzip"), summary: "compress with gzip (default)"),
                flag("bzip2", effect: .set("compress", "bzip2"), summary: "compress with bzip2"),
                flag("lzma", effect: .set("compress", "lzma"), summary: "compress with lzma"),
                flag("xz", effect: .set("compress", "xz"), summary: "compress with xz"),
                flag("lzo", effect: .set("compress", "lzop"), summary: "compress with lzop"),
                flag("lz4", effect: .set("compress", "lz4"), summary: "compress with lz4"),
                flag("zstd", effect: .set("compress", "zstd"), summary: "compress with zstd"),
                value(
                    "compress", argument: "COMPRESSOR", effect: .scalar("compress"),
                    summary: "compress with this program, or this command line"),
                flag("no-compress", effect: .command(.noCompress), summary: "write the archive uncompressed"),
                // dracut-ng's: one level for every compressor, as each compress_level_NAME.
                value(
                    "compress-level", argument: "LEVEL",
                    effect: .several(CompressionLevels.compressors.map { .scalar("compress_level_\($0)") }),
                    summary: "compress at this level, whichever compressor"),
                value(
                    "squash-compressor", argument: "COMPRESSOR", effect: .scalar("squash_compress"),
                    summary: "the compressor of the squash module's image"),
                flag(
                    "enhanced-cpio", effect: .set("enhanced_cpio", "yes"),
                    summary: "write the archive with dracut-cpio; ignored when it is missing"),
                flag(
                    "reproducible", effect: .set("reproducible", "yes"),
                    summary: "make the image depend only on its inputs, not on the time"),
                flag("no-reproducible", effect: .set("reproducible", "no"), summary: "keep the files' own times"),
            ]
        ),
        (
            .reports,
            [
                flag("list-modules", effect: .command(.listModules), summary: "list the dracut modules found, and exit"),
                flag(
                    "show-modules", short: "M", effect: .set("show_modules", "yes"),
                    summary: "print each module's name as it is installed"),
                flag("keep", effect: .command(.keep), summary: "keep the temporary build directory"),
                flag("printsize", effect: .command(.printSize), summary: "print how much each module adds"),
                flag(
                    "printconfig", effect: .command(.printConfig), stored: false,
                    summary: "print the settings the configuration gives, and exit"),
                value("logfile", argument: "FILE", effect: .scalar("logfile"), stored: false, summary: "append the log to FILE too"),
                value(
                    "loginstall", argument: "DIR", effect: .scalar("loginstall"),
                    summary: "record in DIR each file copied from the host"),
                value(
                    "explain", argument: "FILE", effect: .command(.explain), stored: false,
                    summary: "write to FILE which module put each path in the image"),
                value(
                    "explain-svg", argument: "FILE", effect: .command(.explainSVG), stored: false,
                    summary: "draw the image as a treemap of its modules into FILE (SVG)"),
            ]
        ),
        (
            .uefi,
            [
                flag("uefi", effect: .set("uefi", "yes"), summary: "write a UEFI executable: kernel, image and command line"),
                flag("no-uefi", effect: .set("uefi", "no"), summary: "write a plain image (default)"),
                flag("no-machineid", effect: .set("machine_id", "no"), summary: "do not copy the host's /etc/machine-id"),
                value("uefi-stub", argument: "FILE", effect: .scalar("uefi_stub"), summary: "the UEFI stub of the executable"),
                value(
                    "uefi-splash-image", argument: "FILE", effect: .scalar("uefi_splash_image"),
                    summary: "the splash bitmap of the executable"),
                value(
                    "kernel-image", argument: "FILE", effect: .scalar("kernel_image"),
                    summary: "the kernel put into the executable"),
                value(
                    "sbat", argument: "PARAMETERS", effect: .scalar("sbat"),
                    summary: "SBAT lines added to the executable's .sbat (dracut-ng)"),
                flag(
                    "ukify", effect: .set("ukify", "yes"),
                    summary: "dracut-ng: use ukify (Kindling writes the sections itself)"),
                flag("no-ukify", effect: .set("ukify", "no"), summary: "dracut-ng: build without ukify"),
            ]
        ),
        (
            .severalKernels,
            [
                flag(
                    "regenerate-all", effect: .command(.regenerateAll),
                    summary: "build the default image of every installed kernel"),
                flag(
                    "parallel", short: "p", effect: .set("parallel", "yes"),
                    summary: "with --regenerate-all, build the images at the same time"),
            ]
        ),
        (
            .timeLimits,
            [
                value(
                    "module-timeout", argument: "SECONDS", effect: .scalar("module_timeout"),
                    summary: "stop when one module function runs longer (0: no limit)"),
                value(
                    "lock-timeout", argument: "SECONDS", effect: .scalar("lock_timeout"),
                    summary: "wait at most this long for another build's lock (0: no limit)"),
            ]
        ),
    ]

    public static let all: [OptionSpec] = groups.flatMap(\.options)

    private static func value(
        _ names: String..., short: Character? = nil, argument: String, effect: OptionEffect, supported: Bool = true,
        stored: Bool = true, summary: String
    ) -> OptionSpec {
        OptionSpec(
            longNames: names, shortName: short, argument: argument, summary: summary, effect: effect, isSupported: supported,
            isStored: stored)
    }

    private static func flag(
        _ names: String..., short: Character? = nil, effect: OptionEffect, supported: Bool = true, stored: Bool = true,
        summary: String
    ) -> OptionSpec {
        OptionSpec(
            longNames: names, shortName: short, summary: summary, effect: effect, isSupported: supported, isStored: stored)
    }

    public static func named(_ long: String) -> OptionSpec? {
        all.first { $0.longNames.contains(long) }
    }
}
