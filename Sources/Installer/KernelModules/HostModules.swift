#if canImport(Glibc)
import Glibc
#endif
import Support

/// The modules a host needs, for hostonly mode: what is loaded now (/proc/modules) and what the
/// devices' modaliases resolve to (every /sys/devices/**/modalias), as `dracut-install --modalias`
/// and its hostonly check compute them.
public enum HostModules {
    /// The allowed set of a hostonly build.
    public static func needed(
        index: KernelModuleIndex, procModules: String = "/proc/modules",
        devices: String = "/sys/devices"
    ) -> Set<String> {
        loaded(procModules: procModules).union(forModaliases(under: devices, index: index))
    }

    /// The first word of each /proc/modules line.
    public static func loaded(procModules: String = "/proc/modules") -> Set<String> {
        Set(lines(of: procModules).compactMap { $0.split(separator: " ").first.map(String.init) })
    }

    /// The modules that the devices' modalias files resolve to in the index.
    public static func forModaliases(under devices: String, index: KernelModuleIndex) -> Set<String> {
        var names: Set<String> = []
        var aliases: Set<String> = []
        collectModaliases(under: devices, into: &aliases)
        for alias in aliases {
            for module in (try? index.lookup(alias)) ?? [] { names.insert(module.name) }
        }
        return names
    }

    /// sysfs has symlinks everywhere; only real directories are walked, so each device is read once.
    private static func collectModaliases(under directory: String, into aliases: inout Set<String>) {
        guard let stream = opendir(directory) else { return }
        var subdirectories: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_DIR) where name != "." && name != "..": subdirectories.append(directory + "/" + name)
            case Int32(DT_REG) where name == "modalias":
                if let alias = lines(of: directory + "/modalias").first, !alias.isEmpty { aliases.insert(alias) }
            default: break
            }
        }
        closedir(stream)
        for subdirectory in subdirectories { collectModaliases(under: subdirectory, into: &aliases) }
    }

    private static func lines(of path: String) -> [String] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        return String(decoding: readAll(fd: fd), as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
