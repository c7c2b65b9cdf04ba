import Foundation

/// dracut's `$libdirs`: the standard library directories, then those the loader cache names.
public enum LibraryDirectories {
    public static func forSysroot(_ sysroot: String) -> [String] {
        var directories: [String]
        if FileManager.default.fileExists(atPath: sysroot + "/lib64") || FileManager.default.fileExists(atPath: sysroot + "/usr/lib64") {
            directories = ["/lib64"]
            if FileManager.default.fileExists(atPath: sysroot + "/usr/lib64") { directories.append("/usr/lib64") }
        } else {
            directories = ["/lib"]
            if FileManager.default.fileExists(atPath: sysroot + "/usr/lib") { directories.append("/usr/lib") }
        }
        return directories + loaderCacheDirectories(sysroot: sysroot)
    }

    /// The directories of the loader cache's entries, less direct children of /lib, /lib64,
    /// /usr/lib and /usr/lib64 (as `ldconfig -p` filtered by dracut's ldconfig_paths).
    public static func loaderCacheDirectories(sysroot: String) -> [String] {
        guard let bytes = FileManager.default.contents(atPath: sysroot + "/etc/ld.so.cache"),
            let cache = LoaderCache(bytes: [UInt8](bytes))
        else { return [] }
        let standard: Set<String> = ["/lib", "/lib64", "/usr/lib", "/usr/lib64"]
        var found = Set<String>()
        for entry in cache.entries {
            let directory = PathText.directory(of: entry.path)
            if !standard.contains(directory) { found.insert(directory) }
        }
        return found.sorted()
    }
}
