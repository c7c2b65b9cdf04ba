import Foundation
import Support

/// What the settings are derived from besides the variables: the command line's own facts and
/// the host's answers, as values so tests can give their own.
struct SettingsSources {
    var commandLine: ParsedCommandLine
    var verbosity: Int
    var printsCommandLine: Bool
    var sysroot: String
    var environment: [String: String]
    var ownModules: String
    var kernelRelease: () -> String
    var diskDirectory: String
    var origins = VariableOrigins()
}

extension BuildSettings {
    /// Applies dracut's defaults and normalisations to the variables the config files and the
    /// options set, in dracut's order, and reads the typed settings from the result.
    static func derive(from variables: ShellVariables, _ sources: SettingsSources, logger: Logger)
        throws(ConfigError) -> BuildSettings
    {
        var variables = variables
        let sysroot = sources.sysroot
        var positionals = sources.commandLine.positionals
        if positionals.count > 2 {
            throw ConfigError(description: "unknown arguments: \(positionals[2...].joined(separator: " "))")
        }
        if positionals.count == 2 && variables.has("kernel") && sources.commandLine.contains("kver") {
            positionals.removeLast()
        }
        if positionals.count == 2 { variables["kernel"] = positionals[1] }
        if !variables.has("kernel") { variables["kernel"] = sources.kernelRelease() }
        let kernel = variables["kernel"]!

        // The dracut whose modules run sets the defaults that changed across releases.
        let release = DracutRelease.owning(
            moduleSearchPath: sources.commandLine.values(of: "modules-dir") + variables.words("modules_dirs")
                + (variables["dracutbasedir"].map { [$0 + "/modules.d"] } ?? []),
            baseDirectory: variables["dracutbasedir"] ?? sysroot + "/usr/lib/dracut")
        let level = Int(variables["stdloglvl"] ?? "") ?? release.defaultStandardLogLevel
        let clamped = min(max(level + sources.verbosity, 0), 6)
        variables["stdloglvl"] = String(clamped)
        let logLevel = sources.printsCommandLine ? .fatal : LogLevel(rawValue: max(clamped, 1)) ?? .info

        if release.hostonlyByDefault && variables["hostonly"] != "no" { variables["hostonly"] = "yes" }
        if variables["hostonly"] == "yes" {
            variables["hostonly"] = "-h"
            if !variables.has("hostonly_cmdline") && release.defaultsHostonlyCommandLine(inChroot: Chroot.isActive) {
                variables["hostonly_cmdline"] = "yes"
            }
        }
        if variables["hostonly"] != "-h" { variables.remove("hostonly") }
        switch variables["hostonly_mode"] ?? "" {
        case "": if variables.has("hostonly") { variables["hostonly_mode"] = "sloppy" }
        case "sloppy", "strict": if !variables.has("hostonly") { variables.remove("hostonly_mode") }
        case let mode: throw ConfigError(description: "invalid hostonly mode \(PathBytes.quoted(mode))")
        }
        for (name, fallback) in [("do_strip", "yes"), ("do_hardlink", "yes"), ("early_microcode", "yes")]
        where !variables.has(name) {
            variables[name] = fallback
        }
        if variables["prefix"] == "/" { variables.remove("prefix") }
        if !variables.has("tmpdir") { variables["tmpdir"] = sources.environment["TMPDIR"] ?? (sysroot + "/var/tmp") }
        if ["", "auto"].contains(variables["dracutmodules"] ?? "") { variables["dracutmodules"] = "all" }
        if !variables.has("fw_dir") {
            variables["fw_dir"] = [
                "/lib/firmware/updates/\(kernel)", "/lib/firmware/updates", "/lib/firmware/\(kernel)", "/lib/firmware",
            ].map { sysroot + $0 }.joined(separator: ":")
        }
        variables["DRACUT_FIRMWARE_PATH"] = (variables["fw_dir"] ?? "").replacingOccurrences(of: " ", with: ":")
        variables["fw_dir"] = (variables["fw_dir"] ?? "").replacingOccurrences(of: ":", with: " ")
        variables["srcmods"] = variables.has("drivers_dir") ? variables["drivers_dir"]! : "\(sysroot)/lib/modules/\(kernel)/"

        SystemPaths.fill(
            &variables, sysroot: sysroot, skipping: release.unsetPathVariables(hostonly: variables.has("hostonly")))
        if !variables.has("hookdirs") { variables["hookdirs"] = hookDirectories.joined(separator: " ") + " " }
        if !variables.has("DRACUT_PATH") {
            variables["DRACUT_PATH"] = sources.environment["DRACUT_PATH"] ?? "/sbin /bin /usr/sbin /usr/bin"
        }

        var searchPath = sources.commandLine.values(of: "modules-dir") + variables.words("modules_dirs")
        // Only a dracutbasedir that the environment or a config file names joins the module path.
        if variables.has("dracutbasedir") {
            searchPath.append(variables["dracutbasedir"]! + "/modules.d")
        } else if let tree = DracutRelease.sourceTree(holding: searchPath) {
            // Modules from a dracut source tree run as under `dracut.sh --local`: the tree is
            // their $dracutbasedir (80base installs $dracutbasedir/dracut-util, built there).
            variables["dracutbasedir"] = tree
        } else {
            variables["dracutbasedir"] = sysroot + "/usr/lib/dracut"
        }
        searchPath.append(sources.ownModules)

        let defaultPath = DefaultImagePath(sysroot: sysroot, usesMachineID: variables["machine_id"] != "no")
        let writesUEFI = variables["uefi"] == "yes"
        // dracut-ng's initrdname (Debian's dracut-ng sets initrd.img-${kernel}); its default is
        // initramfs-KVER.img, where Debian's 059 writes initrd.img-KVER.
        let imageName = variables.has("initrdname") ? variables["initrdname"] : release.flavour == .dracutNG ? "initramfs-\(kernel).img" : nil
        let outputPath =
            positionals.first
            ?? (writesUEFI
                ? defaultPath.executablePath(forKernel: kernel) : defaultPath.path(forKernel: kernel, imageName: imageName))
        if let warning = checkPersistentPolicy(&variables, diskDirectory: sources.diskDirectory) {
            logger.warning(warning)
        }
        if let refusal = UnhonouredVariable.refusal(in: variables, origins: sources.origins) { throw refusal }
        try checkRealInitPath(variables, release: release, searchPath: searchPath, origins: sources.origins)
        try checkNBFTMode(&variables, origins: sources.origins)
        let levels = try CompressionLevels.read(variables, origins: sources.origins)
        return try BuildSettings(
            normalized: variables, kernelVersion: kernel, outputPath: outputPath, sysroot: sysroot,
            moduleSearchPath: searchPath, logLevel: logLevel,
            architecture: sources.environment["DRACUT_ARCH"] ?? UEFISettings.hostArchitecture(),
            createsOutputDirectory: writesUEFI && positionals.isEmpty, compressionLevels: levels)
    }

    /// dracut-ng's nvmf_nbft_mode, which its nvmf module reads: nbft, match or static; unset is
    /// match. dracut-ng logs an error for any other value and takes match; Kindling refuses it.
    static func checkNBFTMode(_ variables: inout ShellVariables, origins: VariableOrigins) throws(ConfigError) {
        switch variables["nvmf_nbft_mode"] ?? "" {
        case "": variables["nvmf_nbft_mode"] = "match"
        case "nbft", "match", "static": break
        case let mode:
            throw ConfigError(
                description: "invalid nvmf_nbft_mode \(PathBytes.quoted(mode)) (from \(origins.source(of: "nvmf_nbft_mode"))): "
                    + "give nbft, match or static")
        }
    }

    /// realinitpath is read by dracut 059's own base module alone (it writes rd.distroinit=); dracut-ng
    /// removed it, and Kindling's base module has no rd.distroinit. Set, it is refused unless 059's
    /// base module is the one the module path takes.
    static func checkRealInitPath(
        _ variables: ShellVariables, release: DracutRelease, searchPath: [String], origins: VariableOrigins
    ) throws(ConfigError) {
        guard variables.has("realinitpath") else { return }
        let source = origins.source(of: "realinitpath")
        if release.flavour == .dracutNG {
            throw ConfigError(description: "realinitpath is set in \(source): dracut-ng \(release.version) removed it")
        }
        // The first directory with a base module wins; Kindling's own is the last on the path.
        let firstBase = searchPath.first { directory in
            (try? FileManager.default.contentsOfDirectory(atPath: directory))?.contains {
                $0.count == 6 && $0.hasSuffix("base") && $0.prefix(2).allSatisfy(\.isNumber)
            } ?? false
        }
        if firstBase == nil || firstBase == searchPath.last {
            throw ConfigError(
                description: "realinitpath is set in \(source): only dracut 059's base module reads it, and the "
                    + "module path takes Kindling's (add --modules-dir /usr/lib/dracut/modules.d)")
        }
    }

    /// dracut drops `mapper` (the /dev/mapper names are its default anyway) and a policy whose
    /// /dev/disk directory the host lacks, warning about the latter.
    static func checkPersistentPolicy(_ variables: inout ShellVariables, diskDirectory: String) -> String? {
        guard let policy = variables["persistent_policy"], !policy.isEmpty else { return nil }
        if policy == "mapper" {
            variables.remove("persistent_policy")
            return nil
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: diskDirectory + "/" + policy, isDirectory: &isDirectory),
            isDirectory.boolValue
        else {
            variables.remove("persistent_policy")
            return "Invalid persistent policy, your system does not have a /dev/disk/\(policy) directory."
        }
        return nil
    }
}
