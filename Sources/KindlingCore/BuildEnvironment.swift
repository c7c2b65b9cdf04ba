#if canImport(Glibc)
import Glibc
#endif
import Configuration
import Foundation
import Installer
import ShellBridge
import Support

/// The variables and the process environment that module code runs with: dracut's globals from
/// the settings, plus what this build adds (its tree, its tools, its resolution mode).
struct BuildEnvironment {
    let settings: BuildSettings
    let probes: HostProbes
    /// The staging directory and the image root in it.
    let temporaryDirectory: String
    let imageRoot: String
    /// dracut's PATH: each $DRACUT_PATH directory with symlinks resolved, without repeats.
    let searchPath: [String]
    /// Without a sysroot, as in dracut, libraries are resolved in one pass after the modules.
    let resolvesLazily: Bool
    /// --libdirs, or the loader's own directories.
    let libraryDirectories: [String]
    /// --loginstall DIR, by its real path once the build has made it.
    var installLogDirectory: String?
    /// False when --enhanced-cpio is ignored (no dracut-cpio): modules no longer see it.
    var exportsEnhancedCpio: Bool
    /// Hostonly: the file listing the host's kernel modules.
    var kernelModaliases: String?
    /// The directory of Kindling's own programs (DataDirectory.programs), for module code.
    var programsDirectory: String?

    init(settings: BuildSettings, probes: HostProbes, temporaryDirectory: String, imageRoot: String) {
        self.settings = settings
        self.probes = probes
        self.temporaryDirectory = temporaryDirectory
        self.imageRoot = imageRoot
        let sysroot = settings.sysroot
        searchPath = Self.resolvedSearchPath(settings.paths.binarySearchPath, sysroot: sysroot)
        resolvesLazily = sysroot.isEmpty
        // --libdirs and libdirs= win, as in dracut; only without them are the loader's directories used.
        libraryDirectories =
            settings.paths.libraryDirectories.isEmpty
            ? LibraryDirectories.forSysroot(sysroot) : settings.paths.libraryDirectories
        installLogDirectory = settings.paths.installLog
        exportsEnhancedCpio = settings.image.enhancedCpio
    }

    /// What installs into the tree sees of the settings.
    var helperContext: HelperContext {
        HelperContext(
            sysroot: settings.sysroot, hookDirectories: settings.paths.hookDirectories,
            binaryPath: settings.paths.binarySearchPath, libraryDirectories: libraryDirectories,
            udevDirectory: settings.paths.udevDirectory, dracutBaseDirectory: settings.paths.dracutBaseDirectory,
            hookRoot: settings.dracut.hookDirectory, followsDracutNG: settings.dracut.flavour == .dracutNG,
            loaderCacheFollowsDestination: settings.dracut.buildsLoaderCacheInDestination)
    }

    var driverOptions: DriverOptions {
        let drivers = settings.drivers
        return DriverOptions(
            drivers: drivers.drivers, addDrivers: drivers.add, forceDrivers: drivers.force,
            filesystems: drivers.filesystems, omitDrivers: drivers.omit)
    }

    var kernelModuleSettings: KernelModuleSettings {
        KernelModuleSettings(
            noKernel: settings.noKernel, sysroot: settings.sysroot, kernelVersion: settings.kernelVersion,
            moduleDirectory: settings.paths.kernelModules, firmwareDirectories: settings.paths.firmwareDirectories,
            omittedDriversPattern: driverOptions.omitPattern)
    }

    /// Every variable modules see: the settings' export with this build's own.
    var exportedVariables: ShellVariables {
        var exported = settings.exportedVariables
        exported["DRACUT_TMPDIR"] = temporaryDirectory
        exported["initdir"] = imageRoot
        if settings.paths.libraryDirectories.isEmpty {
            exported["libdirs"] = " " + libraryDirectories.joined(separator: " ") + " "
        }
        exported[resolvesLazily ? "DRACUT_RESOLVE_LAZY" : "DRACUT_RESOLVE_DEPS"] = "1"
        if let installLogDirectory { exported["loginstall"] = installLogDirectory }
        if !exportsEnhancedCpio { exported.remove("enhanced_cpio") }
        for (name, value) in toolVariables { exported[name] = value }
        if let kernelModaliases { exported["DRACUT_KERNEL_MODALIASES"] = kernelModaliases }
        // Modules see omit_drivers as dracut rewrites it: a regex of ^name$ alternatives.
        exported["omit_drivers"] = driverOptions.omitPattern
        return exported
    }

    /// The tools dracut names in variables for modules: ldd, ldconfig, its installer and test binary,
    /// each taken from the environment when set there.
    var toolVariables: [(String, String)] {
        var tools = [("DRACUT_LDD", "ldd"), ("DRACUT_LDCONFIG", "ldconfig"), ("DRACUT_TESTBIN", "/bin/sh")].map {
            ($0.0, probes.variable($0.0) ?? $0.1)
        }
        if let installer = probes.variable("DRACUT_INSTALL")
            ?? Self.dracutInstall(
                path: probes.environment["PATH"] ?? "", baseDirectory: settings.paths.dracutBaseDirectory)
        {
            tools.append(("DRACUT_INSTALL", installer))
        }
        return tools
    }

    /// dracut-install on PATH, else in dracut's base directory, as dracut-init.sh looks for it.
    static func dracutInstall(path: String, baseDirectory: String) -> String? {
        let candidates =
            path.split(separator: ":").map { "\($0)/dracut-install" }
            + [baseDirectory + "/dracut-install", baseDirectory + "/src/install/dracut-install"]
        return candidates.first { access($0, X_OK) == 0 }
    }

    /// Bash statements declaring every variable, exported as dracut exports its globals; initdir
    /// and DRACUT_TMPDIR read-only.
    var declarations: String {
        var lines: [String] = []
        for (name, value) in exportedVariables.values.sorted(by: { $0.key < $1.key }) where Self.isShellName(name) {
            switch value {
            case .scalar(let text): lines.append("declare -gx \(name)=\(shellQuote(text))")
            default: lines.append(value.declaration(of: name))
            }
        }
        lines.append("readonly initdir DRACUT_TMPDIR")
        lines.append("declare -ga root_devs=() swap_devs=()")
        // The installed dracut's version when there is one, so images match dracut's byte for byte.
        lines.append("declare -gx DRACUT_VERSION=\(shellQuote(settings.dracut.version))")
        // The helper set of the dracut whose modules run: what it dropped is gone, what differs
        // in dracut-ng looks at __kindling_dracut_ng.
        if settings.dracut.flavour == .dracutNG {
            lines.append("__kindling_dracut_ng=1")
            // squash-lib's second tree; dracut-ng declares it in every build, made only with squash-lib.
            lines.append("declare -gxr squashdir=\(shellQuote(imageRoot + SquashLibPass.directory))")
            // dracut-ng exports the target architecture; its modules read $DRACUT_ARCH bare.
            let architecture = probes.environment["DRACUT_ARCH"] ?? UEFISettings.hostArchitecture()
            lines.append("declare -gx DRACUT_ARCH=\(shellQuote(architecture))")
        }
        let undefined = settings.dracut.undefinedHelpers
        if !undefined.isEmpty { lines.append("builtin unset -f " + undefined.joined(separator: " ")) }
        if probes.sysfsRoot != "/sys" { lines.append("__kindling_sys=\(shellQuote(probes.sysfsRoot))") }
        return lines.joined(separator: "\n")
    }

    /// The process environment of the module shell: the caller's, in the C locale, without the
    /// loader's variables, with dracut's PATH.
    var shellEnvironment: [String: String] {
        var environment = probes.environment.filter { !$0.key.hasPrefix("LD_") && !$0.key.hasPrefix("LC_") }
        environment["LC_ALL"] = "C"
        environment["LANG"] = "C"
        environment["PATH"] =
            settings.sysroot.isEmpty
            ? searchPath.joined(separator: ":") : (environment["PATH"] ?? "/usr/sbin:/usr/bin")
        environment["SYSTEMCTL"] = environment["SYSTEMCTL"] ?? "systemctl"
        environment["DRACUT_CP"] = "cp --reflink=auto --sparse=auto --preserve=mode,timestamps,links -dfr"
        // Where Kindling's own programs are (kdumpbase takes kindling-dmload from there); never the
        // caller's value, which would name another Kindling's.
        environment["KINDLING_PROGRAMS_DIR"] = programsDirectory
        return environment
    }

    /// The newest modification time a reproducible image may hold: SOURCE_DATE_EPOCH, or with
    /// --reproducible the time of Kindling's shim (dracut uses its dracut-functions.sh).
    func reproducibleTime(shim: String) -> Int64? {
        if let epoch = probes.environment["SOURCE_DATE_EPOCH"].flatMap({ Int64($0) }) { return epoch }
        guard settings.image.reproducible else { return nil }
        var status = stat()
        return stat(shim, &status) == 0 ? Int64(status.st_mtim.tv_sec) : 0
    }

    static func isShellName(_ name: String) -> Bool {
        func isLetter(_ byte: UInt8) -> Bool { byte == 95 || (byte | 0x20 >= 97 && byte | 0x20 <= 122) }
        guard let first = name.utf8.first, isLetter(first) else { return false }
        return name.utf8.allSatisfy { isLetter($0) || ($0 >= 48 && $0 <= 57) }
    }

    static func resolvedSearchPath(_ directories: [String], sysroot: String) -> [String] {
        var result: [String] = []
        for directory in directories {
            var resolved = directory
            if let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: sysroot + directory) {
                resolved =
                    destination.hasPrefix("/")
                    ? destination
                    : ((directory as NSString).deletingLastPathComponent as NSString).appendingPathComponent(destination)
            }
            if !result.contains(resolved) { result.append(resolved) }
        }
        return result
    }
}
