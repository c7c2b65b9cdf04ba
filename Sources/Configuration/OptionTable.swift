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
    case noCompress = "no-compress"
    case listModules = "list-modules"
    case printCommandLine = "print-cmdline"
    case regenerateAll = "regenerate-all"
    case addConfdir = "add-confdir"
    case modulesDir = "modules-dir"
}

/// One option of dracut 059's command line.
public struct OptionSpec: Sendable {
    public var longNames: [String]
    public var shortName: Character?
    public var takesValue: Bool
    public var effect: OptionEffect
    /// False while Kindling cannot yet do what the option asks: using it is an error, never a no-op.
    public var isSupported: Bool
    /// Whether dracut stores it in build-parameter.txt (it leaves out --logfile).
    public var isStored: Bool = true

    public var displayName: String { longNames.first.map { "--\($0)" } ?? "-\(shortName!)" }
}

/// Every option dracut 059 recognises, plus Kindling's additions (--modules-dir, --add-confdir,
/// --explain, --module-timeout, --lock-timeout).
public enum OptionTable {
    public static let all: [OptionSpec] = [
        value("kver", effect: .scalar("kernel")),
        value("add", short: "a", effect: .appendList("add_dracutmodules")),
        value("force-add", effect: .appendList("force_add_dracutmodules")),
        value("omit", short: "o", effect: .appendList("omit_dracutmodules")),
        value("modules", short: "m", effect: .replaceList("dracutmodules")),
        value("add-drivers", effect: .appendList("add_drivers")),
        value("force-drivers", effect: .appendList("force_drivers")),
        value("omit-drivers", effect: .appendList("omit_drivers")),
        value("drivers", short: "d", effect: .replaceList("drivers")),
        value("filesystems", effect: .replaceList("filesystems")),
        value("install", short: "I", effect: .appendList("install_items")),
        value("install-optional", effect: .appendList("install_optional_items")),
        value("fwdir", effect: .replaceList("fw_dir")),
        value("libdirs", effect: .replaceList("libdirs")),
        value("fscks", effect: .appendList("fscks")),
        value("add-fstab", effect: .appendList("add_fstab")),
        value("mount", effect: .appendElement("fstab_lines")),
        value("device", "add-device", effect: .appendList("add_device")),
        flag("nofscks", effect: .set("nofscks", "yes")),
        flag("ro-mnt", effect: .set("ro_mnt", "yes")),
        value("kmoddir", short: "k", effect: .scalar("drivers_dir")),
        value("conf", short: "c", effect: .command(.conf)),
        value("confdir", effect: .command(.confdir)),
        value("add-confdir", effect: .command(.addConfdir)),
        value("modules-dir", effect: .command(.modulesDir)),
        // Kindling's: seconds one module function may run before the build fails (0: no limit).
        value("module-timeout", effect: .scalar("module_timeout")),
        // Kindling's: seconds to wait for another build writing into the same directory (0: no limit).
        value("lock-timeout", effect: .scalar("lock_timeout")),
        value("tmpdir", effect: .scalar("tmpdir")),
        value("sysroot", short: "r", effect: .command(.sysroot)),
        value("stdlog", short: "L", effect: .scalar("stdloglvl")),
        value("compress", effect: .scalar("compress")),
        value("squash-compressor", effect: .scalar("squash_compress")),
        value("prefix", effect: .scalar("prefix")),
        // Read before everything else (RebuildRequest); never stored.
        value("rebuild", effect: .command(.rebuild), stored: false),
        flag("force", short: "f", effect: .early("force", "yes")),
        flag("kernel-only", effect: .several([.early("kernel_only", "yes"), .early("no_kernel", "no")])),
        flag("no-kernel", effect: .several([.early("kernel_only", "no"), .early("no_kernel", "yes")])),
        flag("print-cmdline", effect: .command(.printCommandLine)),
        value("kernel-cmdline", effect: .appendList("kernel_cmdline")),
        flag("strip", effect: .set("do_strip", "yes")),
        flag("aggressive-strip", effect: .set("aggressive_strip", "yes")),
        flag("nostrip", effect: .set("do_strip", "no")),
        flag("hardlink", effect: .set("do_hardlink", "yes")),
        flag("nohardlink", effect: .set("do_hardlink", "no")),
        flag("noprefix", effect: .set("prefix", "/")),
        flag("mdadmconf", effect: .set("mdadmconf", "yes")),
        flag("nomdadmconf", effect: .set("mdadmconf", "no")),
        flag("lvmconf", effect: .set("lvmconf", "yes")),
        flag("nolvmconf", effect: .set("lvmconf", "no")),
        flag("debug", effect: .early("debug", "yes")),
        flag("profile", effect: .early("debug", "yes"), supported: false),
        value("sshkey", effect: .earlyValue("sshkey")),
        value("logfile", effect: .scalar("logfile"), stored: false),
        flag("verbose", short: "v", effect: .command(.verbose)),
        flag("quiet", short: "q", effect: .command(.quiet)),
        flag("local", short: "l", effect: .command(.local)),
        flag("hostonly", "host-only", short: "H", effect: .set("hostonly", "yes")),
        flag("no-hostonly", "no-host-only", short: "N", effect: .set("hostonly", "no")),
        value("hostonly-mode", effect: .scalar("hostonly_mode")),
        flag("hostonly-cmdline", effect: .set("hostonly_cmdline", "yes")),
        flag("no-hostonly-cmdline", effect: .set("hostonly_cmdline", "no")),
        flag("no-hostonly-default-device", effect: .early("hostonly_default_device", "no")),
        value("persistent-policy", effect: .scalar("persistent_policy")),
        flag("fstab", effect: .set("use_fstab", "yes")),
        flag("help", short: "h", effect: .command(.help)),
        flag("bzip2", effect: .set("compress", "bzip2")),
        flag("lzma", effect: .set("compress", "lzma")),
        flag("xz", effect: .set("compress", "xz")),
        flag("lzo", effect: .set("compress", "lzop")),
        flag("lz4", effect: .set("compress", "lz4")),
        flag("zstd", effect: .set("compress", "zstd")),
        flag("no-compress", effect: .command(.noCompress)),
        flag("gzip", effect: .set("compress", "gzip")),
        flag("enhanced-cpio", effect: .set("enhanced_cpio", "yes")),
        flag("list-modules", effect: .command(.listModules)),
        flag("show-modules", short: "M", effect: .set("show_modules", "yes")),
        flag("keep", effect: .command(.keep)),
        flag("printsize", effect: .command(.printSize)),
        value("explain", effect: .command(.explain), stored: false),
        flag("regenerate-all", effect: .command(.regenerateAll)),
        flag("parallel", short: "p", effect: .set("parallel", "yes")),
        flag("noimageifnotneeded", effect: .early("noimageifnotneeded", "yes")),
        flag("early-microcode", effect: .set("early_microcode", "yes")),
        flag("no-early-microcode", effect: .set("early_microcode", "no")),
        flag("reproducible", effect: .set("reproducible", "yes")),
        flag("no-reproducible", effect: .set("reproducible", "no")),
        value("loginstall", effect: .scalar("loginstall")),
        flag("uefi", effect: .set("uefi", "yes"), supported: false),
        flag("no-uefi", effect: .set("uefi", "no")),
        value("uefi-stub", effect: .scalar("uefi_stub"), supported: false),
        value("uefi-splash-image", effect: .scalar("uefi_splash_image"), supported: false),
        value("kernel-image", effect: .scalar("kernel_image"), supported: false),
        flag("no-hostonly-i18n", effect: .set("i18n_install_all", "yes")),
        flag("hostonly-i18n", effect: .set("i18n_install_all", "no")),
        value("hostonly-nics", effect: .appendList("hostonly_nics")),
        flag("no-machineid", effect: .set("machine_id", "no")),
        flag("version", effect: .command(.version)),
        // -i/--include takes two values and is parsed on its own, as dracut does.
        OptionSpec(
            longNames: ["include"], shortName: "i", takesValue: true, effect: .command(.include),
            isSupported: true),
    ]

    private static func value(
        _ names: String..., short: Character? = nil, effect: OptionEffect, supported: Bool = true, stored: Bool = true
    ) -> OptionSpec {
        OptionSpec(
            longNames: names, shortName: short, takesValue: true, effect: effect, isSupported: supported,
            isStored: stored)
    }

    private static func flag(
        _ names: String..., short: Character? = nil, effect: OptionEffect, supported: Bool = true
    ) -> OptionSpec {
        OptionSpec(longNames: names, shortName: short, takesValue: false, effect: effect, isSupported: supported)
    }

    public static func named(_ long: String) -> OptionSpec? {
        all.first { $0.longNames.contains(long) }
    }
}
