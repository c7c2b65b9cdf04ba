#if canImport(Glibc)
import Glibc
#endif
import Configuration
import Installer

/// dracut-ng's --printconfig: the settings it lists, as `dracutconfig: NAME=VALUE`, those that are
/// set, in its order, after the defaults a build applies.
struct PrintedConfiguration {
    static let names = [
        "add_dracutmodules", "add_fstab", "debug", "dracutmodules", "drivers", "fileloglvl", "filesystems",
        "force_add_dracutmodules", "fscks", "fw_dir", "hostonly_cmdline", "initrdname", "kernel_only", "kmsgloglvl",
        "libdirs", "logfile", "loginstall", "lvmconf", "mdadmconf", "no_kernel", "nofscks", "omit_dracutmodules",
        "omit_drivers", "prefix", "ro_mnt", "squash_compress", "sshkey", "uefi", "use_fstab",
    ]

    let settings: BuildSettings

    var text: String {
        var variables = settings.exportedVariables
        let drivers = settings.drivers
        // As a build exports them: omit_drivers as its pattern, libdirs from the loader's directories.
        variables["omit_drivers"] =
            DriverOptions(
                drivers: drivers.drivers, addDrivers: drivers.add, forceDrivers: drivers.force,
                filesystems: drivers.filesystems, omitDrivers: drivers.omit
            ).omitPattern
        if settings.paths.libraryDirectories.isEmpty {
            variables["libdirs"] = LibraryDirectories.forSysroot(settings.sysroot).joined(separator: " ")
        }
        // The logging levels dracut's logger sets when the files leave them empty.
        if !variables.has("kmsgloglvl") { variables["kmsgloglvl"] = "0" }
        if !variables.has("fileloglvl") {
            variables["fileloglvl"] = settings.log.file.map { access($0, W_OK) == 0 } == true ? "4" : "0"
        }
        if !variables.has("initrdname") && settings.uefi == nil {
            variables["initrdname"] = "initramfs-\(settings.kernelVersion).img"
        }
        return Self.names.compactMap { name in
            variables.has(name) ? "dracutconfig: \(name)=\(variables[name]!)\n" : nil
        }.joined()
    }
}
