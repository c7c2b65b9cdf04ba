#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Support

/// The skeleton dracut creates before any module runs: the top-level directories (or the host's
/// symlinks for them, so a merged-/usr host gives a merged-/usr image), the hook directories,
/// and the basic device nodes when allowed.
public struct BaseLayout {
    let installer: FileInstaller
    /// --prefix: the top-level directories live under it, the image's own ones link there.
    let prefix: String
    /// $libdirs, without their leading slash.
    let libraryDirectories: [String]
    let hookDirectories: [String]
    let sysroot: String
    /// Where the hook directories go: /lib/dracut/hooks for dracut 059, /var/lib/dracut/hooks for dracut-ng.
    let hookRoot: String
    /// dracut-ng before 110 links /lib/dracut/hooks to the new place, for older initrd code.
    let linksOldHookDirectory: Bool

    public init(
        installer: FileInstaller, prefix: String, libraryDirectories: [String], hookDirectories: [String],
        sysroot: String, hookRoot: String = "/lib/dracut/hooks", linksOldHookDirectory: Bool = false
    ) {
        self.installer = installer
        self.prefix = prefix
        self.libraryDirectories = libraryDirectories.map { String($0.drop { $0 == "/" }) }
        self.hookDirectories = hookDirectories
        self.sysroot = sysroot
        self.hookRoot = hookRoot
        self.linksOldHookDirectory = linksOldHookDirectory
    }

    public func create(kernelOnly: Bool) throws {
        let root = installer.imageRoot
        try linkPrefix()
        if kernelOnly {
            // Only what kernel modules and firmware need: the library directories.
            for directory in ["lib"] + libraryDirectories where !installer.imageContains(prefix + "/" + directory) {
                if isSymlink("/" + directory) {
                    try installer.install("/" + directory, at: prefix + "/" + directory)
                } else {
                    try makeDirectory(root + prefix + "/" + directory)
                }
            }
            try makeDirectory(root + "/lib/dracut")
            return
        }
        let topLevel = ["usr", "usr/bin", "usr/sbin", "bin", "etc", "lib", "sbin", "tmp", "var", "var/tmp"] + libraryDirectories
        for directory in topLevel where !installer.imageContains(prefix + "/" + directory) {
            // dracut looks at the running host here, not the sysroot.
            if isSymlink("/" + directory) {
                try installer.install("/" + directory, at: prefix + "/" + directory)
            } else {
                try makeDirectory(root + prefix + "/" + directory)
            }
        }
        // The API filesystems' mount points stay at the top, prefix or not.
        for directory in ["dev", "proc", "sys", "sysroot", "root", "run"] where !installer.imageContains("/" + directory) {
            if isSymlink("/" + directory) {
                try installer.install("/" + directory)
            } else {
                try makeDirectory(root + "/" + directory)
            }
        }
        try symlink("../run", at: root + "/var/run")
        try symlink("../run/lock", at: root + "/var/lock")
        try makeDirectory(root + "/lib/dracut")
        try makeDirectory(root + "/etc/cmdline.d")
        try makeDirectory(root + hookRoot)
        if linksOldHookDirectory { try linkOldHookDirectory() }
        for hook in hookDirectories { try makeDirectory(root + hookRoot + "/" + hook) }
        if geteuid() == 0 && !Self.deviceNodesForbidden {
            for (name, major, minor) in [("null", 1, 3), ("kmsg", 1, 11), ("console", 5, 1), ("random", 1, 8), ("urandom", 1, 9)] {
                // mknod(1) under dracut's umask 022 gives 0644.
                _ = mknod(root + "/dev/" + name, S_IFCHR | 0o644, makeDevice(major, minor))
            }
        }
    }

    /// /lib/dracut/hooks as a relative link to the hook root, made as `ln -sfnr` makes it: from the
    /// directory the link really lands in (usr/lib/dracut when lib is a link to usr/lib).
    private func linkOldHookDirectory() throws {
        let root = installer.imageRoot
        guard let resolved = realpath(root + "/lib/dracut", nil) else {
            throw InstallError.failed("cannot resolve \(root)/lib/dracut: \(systemErrorDescription())")
        }
        defer { free(resolved) }
        let directory = String(cString: resolved)
        let inImage = directory.hasPrefix(root) ? String(directory.dropFirst(root.count)) : "/lib/dracut"
        try symlink(relativePath(from: inImage, to: hookRoot), at: directory + "/hooks")
    }

    /// With a prefix, the top-level names (bin, etc, lib, ... and one-level library directories)
    /// are symlinks into it, so files installed at their usual paths land under the prefix.
    private func linkPrefix() throws {
        let root = installer.imageRoot
        if !prefix.isEmpty { try makeDirectory(root + prefix) }
        if !isSymlink(sysroot + "/lib") { try makeDirectory(root + prefix + "/lib") }
        guard !prefix.isEmpty else { return }
        let relative = String(prefix.drop { $0 == "/" })
        for directory in ["bin", "etc", "lib", "sbin", "tmp", "usr", "var"] + libraryDirectories where !directory.contains("/") {
            try symlink(relative + "/" + directory, at: root + "/" + directory)
        }
    }

    /// dracut makes no device nodes inside a container, or when DRACUT_NO_MKNOD is set.
    static let deviceNodesForbidden: Bool = {
        if currentEnvironment()["DRACUT_NO_MKNOD"].map({ !$0.isEmpty }) == true { return true }
        if let detected = HostAnswers.shared.answer(.container) { return detected.status == 0 }
        return FileManager.default.fileExists(atPath: "/.dockerenv") || FileManager.default.fileExists(atPath: "/run/.containerenv")
    }()

    private func makeDevice(_ major: Int, _ minor: Int) -> dev_t {
        let major = UInt64(major), minor = UInt64(minor)
        return dev_t((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12) | ((major & ~0xfff) << 32))
    }

    private func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        } catch {
            throw InstallError.failed("cannot create \(path): \(error.localizedDescription)")
        }
    }

    private func symlink(_ target: String, at path: String) throws {
        unlink(path)
        guard Glibc.symlink(target, path) == 0 else {
            throw InstallError.failed("cannot create the symlink \(path): \(systemErrorDescription())")
        }
    }

    private func isSymlink(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFLNK
    }
}
