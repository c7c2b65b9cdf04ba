#if canImport(Glibc)
import Glibc
#endif
// Support's stat, access and opendir take a String's raw bytes (PathBytes): --kmoddir (drivers_dir)
// need not be UTF-8.
import Support

/// dracut's checks of the module directory, made before the build starts.
public enum KernelModuleDirectory {
    /// The module directory of a build: --kmoddir (drivers_dir) when given, else
    /// SYSROOT/lib/modules/KVER. Without a trailing slash.
    public static func path(driversDirectory: String?, sysroot: String, kernelVersion: String) -> String {
        if let driversDirectory, !driversDirectory.isEmpty { return KernelModuleIndex.normalizedDirectory(driversDirectory) }
        return KernelModuleIndex.normalizedDirectory("\(sysroot)/lib/modules/\(kernelVersion)")
    }

    /// --kmoddir must end in /lib/modules/KVER, unless DRACUT_KMODDIR_OVERRIDE is set: modules
    /// keep their place under it in the image.
    public static func checkDriversDirectory(_ driversDirectory: String, kernelVersion: String) throws(KernelModuleError) {
        let directory = KernelModuleIndex.normalizedDirectory(driversDirectory)
        let base = directory.split(separator: "/").last.map(String.init) ?? ""
        guard base == kernelVersion else {
            throw .unsuitableModuleDirectory(
                "the kernel module directory \(directory) does not match the kernel version \(kernelVersion) (set DRACUT_KMODDIR_OVERRIDE=1 to ignore this check)"
            )
        }
        guard directory.hasSuffix("/lib/modules/" + kernelVersion) else {
            throw .unsuitableModuleDirectory(
                "the kernel module directory \(directory) must have /lib/modules/ as its parent (set DRACUT_KMODDIR_OVERRIDE=1 to ignore this check)")
        }
    }

    /// The directory must exist, and have modules.dep when it holds any module. Returns a warning
    /// to log when modules.dep is missing from a directory without modules, as dracut warns.
    @discardableResult
    public static func checkContents(of directory: String) throws(KernelModuleError) -> String? {
        let directory = KernelModuleIndex.normalizedDirectory(directory)
        var status = stat()
        guard stat(directory, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
            throw .missingModuleDirectory(directory)
        }
        guard access(directory + "/modules.dep", F_OK) != 0 else { return nil }
        guard !ModuleTreeWalk.containsModule(under: directory) else { throw .missingDependencyIndex(directory) }
        return KernelModuleError.missingDependencyIndex(directory).description
    }
}
