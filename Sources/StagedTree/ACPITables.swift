#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Support

/// dracut's acpi_override: the `*.aml` tables of acpi_table_dir go into the early archive as
/// kernel/firmware/acpi/NAME.aml, which the kernel reads to override the firmware's tables.
public struct ACPITables {
    let tableDirectory: String

    public init(tableDirectory: String) { self.tableDirectory = tableDirectory }

    /// Copies the tables into `directory` (the early archive's tree), keeping their modes and
    /// times as dracut's `cp -p` does, and marks the archive as early. Returns false when the
    /// table directory does not exist (dracut then adds nothing).
    public func stage(in directory: String, logger: Logger) throws -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: tableDirectory, isDirectory: &isDirectory), isDirectory.boolValue
        else { return false }
        logger.info("*** Packaging ACPI tables to override BIOS provided ones ***")
        let destination = directory + "/kernel/firmware/acpi"
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: tableDirectory)) ?? []
        let tables = names.filter { $0.hasSuffix(".aml") && !$0.hasPrefix(".") }.sorted()
        if tables.isEmpty { logger.warning("acpi_override: no *.aml tables in \(tableDirectory)") }
        for name in tables {
            let source = tableDirectory + "/" + name
            logger.info("   Adding ACPI table: \(source)")
            let target = destination + "/" + name
            try? FileManager.default.removeItem(atPath: target)
            try FileManager.default.copyItem(atPath: source, toPath: target)
            var status = stat()
            if stat(source, &status) == 0 {
                chmod(target, status.st_mode & 0o7777)
                var times = [status.st_atim, status.st_mtim]
                utimensat(AT_FDCWD, target, &times, 0)
            }
        }
        try "1\n".write(toFile: directory + "/early_cpio", atomically: false, encoding: .utf8)
        return true
    }

    /// dracut's check_kernel_config for ACPI_TABLE_UPGRADE or ACPI_INITRD_TABLE_OVERRIDE: true
    /// when the kernel's config says either is built in, or when no config is found.
    public static func kernelSupportsOverride(sysroot: String, kernelVersion: String) -> Bool {
        let candidates = [
            "/lib/modules/\(kernelVersion)/config", "/lib/modules/\(kernelVersion)/build/.config",
            "/lib/modules/\(kernelVersion)/source/.config", "/usr/src/linux-\(kernelVersion)/.config",
            "/boot/config-\(kernelVersion)",
        ]
        guard let path = candidates.map({ sysroot + $0 }).first(where: { FileManager.default.fileExists(atPath: $0) }),
            let text = try? String(contentsOfFile: path, encoding: .utf8)
        else { return true }
        let lines = Set(text.split(separator: "\n").map(String.init))
        return lines.contains("CONFIG_ACPI_TABLE_UPGRADE=y") || lines.contains("CONFIG_ACPI_INITRD_TABLE_OVERRIDE=y")
    }
}
