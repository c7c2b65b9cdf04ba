import Foundation
import Support

#if canImport(Glibc)
import Glibc
#endif

/// A hostonly build looks at the running host through /proc, /sys, /run and /dev. As dracut
/// does, a host where one of them is not mounted (a chroot, a container) gets a generic image,
/// with a warning, rather than one made from what could not be seen.
enum HostonlyEnvironment {
    static let needed = ["/sys", "/proc", "/run", "/dev"]

    /// The first of the needed directories (this list, or the dracut release's) that is not mounted, as `findmnt --target` tells: it
    /// does not exist, or neither it nor a directory above it is a mount point in the mount table
    /// (in a chroot whose root is no mount point, an unmounted /run is not found). All of them
    /// when the table cannot be read (no /proc). Nil when all are there.
    static func unmounted(
        _ needed: [String] = needed, mountTable: String = "/proc/self/mountinfo",
        exists: (String) -> Bool = { access($0, F_OK) == 0 }
    ) -> String? {
        guard let table = try? String(contentsOfFile: mountTable, encoding: .utf8) else {
            return needed.contains("/proc") ? "/proc" : needed.first
        }
        let mountPoints = Set(
            table.split(separator: "\n").compactMap { line -> String? in
                let fields = line.split(separator: " ", omittingEmptySubsequences: false)
                return fields.count > 4 ? String(fields[4]) : nil
            })
        return needed.first { directory in
            guard exists(directory) else { return true }
            var path = directory
            while !mountPoints.contains(path) {
                guard path != "/" else { return true }
                path = (path as NSString).deletingLastPathComponent
            }
            return false
        }
    }
}
