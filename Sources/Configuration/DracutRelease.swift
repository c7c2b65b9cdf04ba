#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The dracut whose modules and configuration a build takes: the installed one's dracut-version.sh
/// when there is one, else the 059 that Kindling follows.
public struct DracutRelease: Equatable, Sendable {
    public enum Flavour: Equatable, Sendable {
        /// dracut 059, as Debian 12 ships it.
        case dracut059
        /// dracut-ng, which numbers its releases from 100.
        case dracutNG
    }

    /// `$DRACUT_VERSION` as modules see it, such as "059-4" or "106".
    public var version: String

    public static let compatible = DracutRelease(version: "059")

    public var flavour: Flavour { major >= 100 ? .dracutNG : .dracut059 }

    /// The release number before any distribution suffix: 59, 106, 112.
    public var major: Int { Int(version.prefix { $0.isNumber }) ?? 59 }

    /// Where hooks live in the image. dracut-ng moved them from /lib to /var/lib (its 103), so
    /// that an initrd's /usr can be read-only.
    public var hookDirectory: String { flavour == .dracutNG ? "/var/lib/dracut/hooks" : "/lib/dracut/hooks" }

    /// dracut-ng before 110 also links the old hook directory to the new one; from 110 the
    /// initrd's dracut-lib looks in both places itself and the link is gone.
    public var linksOldHookDirectory: Bool { flavour == .dracutNG && major < 110 }

    /// dracut-ng writes $systemdnetworkconfdir into the image's /etc/conf.d/systemd.conf too.
    public var recordsNetworkConfigDirectory: Bool { flavour == .dracutNG }

    /// stdloglvl when nothing sets it: 4 (info) for 059 and 106; dracut-ng 112 says only warnings
    /// (3). The release between that changed it is not named in its NEWS: 112 is the first known.
    public var defaultStandardLogLevel: Int { flavour == .dracutNG && major >= 112 ? 3 : 4 }

    /// dracut-ng 112's lazy dependency pass takes every `*.so*` file too, not only executables:
    /// a library a module copied without resolving (liblz4, libbpf) brings its own libraries.
    public var resolvesLibraryFiles: Bool { flavour == .dracutNG && major >= 112 }

    /// dracut-ng 112 runs each module's config() before any install(). (Its modules use it to
    /// add to add_dlopen_features, which only a dracut-install reading .note.dlopen acts on.)
    public var runsModuleConfig: Bool { flavour == .dracutNG && major >= 112 }

    /// dracut-ng 111 records in build-parameter.txt only what changes the image, without the
    /// leading space (ParsedCommandLine.storedParameters(dracutNG:)); 106 records as 059 does.
    public var recordsOnlyImageParameters: Bool { flavour == .dracutNG && major >= 111 }

    /// dracut-ng 112's build_ld_cache runs ldconfig in `$dstdir`; 059's and 106's in `$initdir`
    /// whatever `dstdir` is (squash-lib's loader cache then lands in the squashed tree).
    public var buildsLoaderCacheInDestination: Bool { flavour == .dracutNG && major >= 112 }

    /// dracut-ng 109 made hostonly the default: only `hostonly=no` (or --no-hostonly) turns it off.
    public var hostonlyByDefault: Bool { flavour == .dracutNG && major >= 109 }

    /// Whether a hostonly build stores the host's command line (hostonly_cmdline) when nothing
    /// says: yes for 059 and dracut-ng up to 107; 108 to 110 made it no; 111 yes again; from
    /// 112 yes except in a chroot, where the host's devices are not the image's.
    public func defaultsHostonlyCommandLine(inChroot: Bool) -> Bool {
        guard flavour == .dracutNG else { return true }
        switch major {
        case ..<108: return true
        case 108..<111: return false
        case 111: return true
        default: return !inChroot
        }
    }

    /// The directories a hostonly build needs mounted, else it turns hostonly off: /sys, /proc,
    /// /run and /dev; from dracut-ng 110 only /dev (no /sys is a warning).
    public var hostonlyNeedsMounted: [String] {
        flavour == .dracutNG && major >= 110 ? ["/dev"] : ["/sys", "/proc", "/run", "/dev"]
    }

    /// The path variables this release leaves unset: from dracut-ng 108 the host's configuration
    /// directories (…confdir) are set only for a hostonly build, so a generic image takes nothing
    /// from /etc; 111 dropped udevrulesconfdir, 112 tmpfilesconfdir.
    public func unsetPathVariables(hostonly: Bool) -> Set<String> {
        guard flavour == .dracutNG else { return [] }
        var names: Set<String> = []
        if major >= 108 && !hostonly {
            names.formUnion([
                "dbusconfdir", "dbusinterfacesconfdir", "dbusservicesconfdir", "dbussessionconfdir",
                "dbussystemconfdir", "dbussystemservicesconfdir", "udevconfdir", "systemdutilconfdir",
                "environmentconfdir", "modulesloadconfdir", "sysctlconfdir", "systemdnetworkconfdir",
                "systemdntpunitsconfdir", "systemdportableconfdir", "systemdsystemconfdir", "systemduserconfdir",
                "sysusersconfdir", "depmodconfdir",
            ])
        }
        if major >= 111 { names.insert("udevrulesconfdir") }
        if major >= 112 { names.insert("tmpfilesconfdir") }
        return names
    }

    /// Helpers this release's dracut does not define: its modules find them missing, as under
    /// that dracut.
    public var removedHelpers: [String] {
        guard flavour == .dracutNG else { return [] }
        return Self.helperRemovals.filter { major >= $0.from && major < $0.until }.map(\.name)
    }

    /// Helpers dracut-ng added, with the release that added them (the first checked here is 106).
    public var addedHelpers: [String] {
        guard flavour == .dracutNG else { return [] }
        return Self.helperAdditions.filter { major >= $0.release }.map(\.name)
    }

    /// The helpers the shim defines that this release's modules must not find: those dracut-ng
    /// dropped, for its modules; those it added, for 059's, which keep 059's helper set exactly.
    public var undefinedHelpers: [String] {
        flavour == .dracutNG ? removedHelpers : Self.helperAdditions.map(\.name)
    }

    /// dracut 059's helpers that dracut-ng dropped, from the release that dropped them (NEWS.md
    /// names 110 and 111; the others are in 106 and gone by 112, read from the two sources) until
    /// the one that brought a helper back (inst_library, in 112 again).
    static let helperRemovals: [(name: String, from: Int, until: Int)] = [
        ("inst_library", 100, 112), ("inst_rules_wildcard", 100, .max), ("prepare_udev_rules", 100, .max),
        ("bootproto_for_iface", 100, .max),
        ("inst_any", 110, .max), ("rev_lib_symlinks", 110, .max),
        ("host_fs_all", 111, .max), ("dracut_no_switch_root", 111, .max),
        ("inst_decompress", 112, .max), ("inst_opt_decompress", 112, .max), ("get_decompress_cmd", 112, .max),
        ("is_qemu_virtualized", 112, .max), ("is_func", 112, .max),
        ("inst_rule_programs", 112, .max), ("inst_rule_group_owner", 112, .max), ("inst_rule_initqueue", 112, .max),
    ]

    static let helperAdditions: [(name: String, release: Int)] = [
        ("inst_sysusers", 100), ("get_lvm_dm_dev", 100), ("get_module_name", 100),
    ]

    /// The release of the first module directory that comes with its dracut (a source tree or a
    /// DESTDIR: `X/modules.d` beside `X/dracut-version.sh` or `X/dracut.sh`), else the base
    /// directory's.
    public static func owning(moduleSearchPath: [String], baseDirectory: String) -> DracutRelease {
        for directory in moduleSearchPath {
            let parent = (directory as NSString).deletingLastPathComponent
            if let found = declared(in: [parent + "/dracut-version.sh", parent + "/dracut.sh"]) { return found }
        }
        return installed(in: baseDirectory)
    }

    /// The first module directory that is a dracut source tree's (`X/modules.d` beside `X/dracut.sh`):
    /// X, which dracut run from there (`--local`) takes as its base directory.
    public static func sourceTree(holding moduleSearchPath: [String]) -> String? {
        for directory in moduleSearchPath where (directory as NSString).lastPathComponent == "modules.d" {
            let parent = (directory as NSString).deletingLastPathComponent
            if FileManager.default.fileExists(atPath: parent + "/dracut.sh") { return parent }
        }
        return nil
    }

    /// The installed dracut's version: `DIRECTORY/dracut-version.sh` (059 to 106), else the
    /// dracut script that dracut-ng 107 on carries its version in (`DIRECTORY/dracut.sh` in a
    /// source tree, `/usr/bin/dracut` beside `/usr/lib/dracut`); 059 when none says.
    public static func installed(in baseDirectory: String) -> DracutRelease {
        var candidates = [baseDirectory + "/dracut-version.sh", baseDirectory + "/dracut.sh"]
        if baseDirectory.hasSuffix("/lib/dracut") {
            candidates.append(String(baseDirectory.dropLast("/lib/dracut".count)) + "/bin/dracut")
        }
        return declared(in: candidates) ?? compatible
    }

    /// The first `DRACUT_VERSION=` assignment at the start of a line of the first readable file.
    private static func declared(in files: [String]) -> DracutRelease? {
        for file in files {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") where line.hasPrefix("DRACUT_VERSION=") {
                let value = line.dropFirst("DRACUT_VERSION=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"' \t"))
                if !value.isEmpty { return DracutRelease(version: value) }
            }
        }
        return nil
    }
}

/// Whether this process runs in a chroot, as dracut-ng's is_chroot tells: its root is not the
/// root of process 1 (which it cannot see without /proc: then it is not taken for a chroot).
public enum Chroot {
    public static var isActive: Bool {
        var own = stat(), first = stat()
        guard stat("/", &own) == 0, stat("/proc/1/root", &first) == 0 else { return false }
        return own.st_dev != first.st_dev || own.st_ino != first.st_ino
    }
}
