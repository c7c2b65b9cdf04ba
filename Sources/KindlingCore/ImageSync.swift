#if canImport(Glibc)
import Glibc
#endif

/// Whether the finished image is synced to disk before it replaces the old one. As dracut: only
/// on a live system booted with systemd (`$sysroot/run/systemd/system`). A package build, a
/// container or an image builder syncs what it makes itself, and the sync of a large image is a
/// tenth of an uncompressed build.
enum ImageSync {
    static func isNeeded(sysroot: String) -> Bool {
        var status = stat()
        return stat(sysroot + "/run/systemd/system", &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
    }
}
