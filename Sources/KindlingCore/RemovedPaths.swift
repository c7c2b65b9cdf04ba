#if canImport(Glibc)
import Glibc
#endif
import Configuration
import Foundation
import Installer
import Support

/// dracut-ng's --remove and remove_items: each path is removed from the image tree, with what it
/// holds, after the strip and the squash pass, just before the archive is written. A path that
/// is not there is no error, as in dracut-ng; one that climbs out of the image is refused.
struct RemovedPaths {
    let paths: [String]
    let imageRoot: String
    let logger: Logger

    init(_ paths: [String], imageRoot: String, logger: Logger) {
        self.paths = paths
        self.imageRoot = imageRoot
        self.logger = logger
    }

    func remove() throws {
        for path in paths {
            let components = path.split(separator: "/").filter { $0 != "." }
            guard !components.isEmpty else {
                throw BuildFailure("--remove \(PathBytes.quoted(path)): names the whole image")
            }
            guard !components.contains("..") else {
                throw BuildFailure("--remove \(PathBytes.quoted(path)): climbs out of the image")
            }
            let target = imageRoot + "/" + components.joined(separator: "/")
            var status = stat()
            guard lstat(target, &status) == 0 else { continue }
            do {
                try FileManager.default.removeItem(atPath: target)
            } catch {
                throw BuildFailure("--remove \(PathBytes.quoted(path)): \(error.localizedDescription)")
            }
            logger.debug("Removed \(path) from the image (--remove)")
        }
    }
}

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
