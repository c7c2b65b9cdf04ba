import Support

#if canImport(Glibc)
import Glibc
#endif

/// A hostonly build looks at the running host through /proc, /sys, /run and /dev. As dracut
/// does, a host where one of them is not mounted (a chroot, a container) gets a generic image,
/// with a warning, rather than one made from what could not be seen.
enum HostonlyEnvironment {
    static let needed = ["/sys", "/proc", "/run", "/dev"]

    /// The first of the needed directories that is not mounted: all of them when the mount table
    /// cannot be read (no /proc), else the first that does not exist. Nil when all are there.
    static func unmounted(
        mountTable: String = "/proc/self/mountinfo", exists: (String) -> Bool = { access($0, F_OK) == 0 }
    ) -> String? {
        guard access(mountTable, R_OK) == 0 else { return "/proc" }
        return needed.first { !exists($0) }
    }
}
