import Foundation
import Support

/// What the command asks for besides building an image.
public enum RequestedAction: Equatable, Sendable {
    case build
    case help
    case version
    case listModules
    case printCommandLine
    case regenerateAll(Regeneration)
}

/// Everything a build needs to know, read from the command line, the environment and the config
/// files in dracut's order and precedence.
public struct BuildConfiguration: Sendable {
    public var action: RequestedAction = .build
    /// dracut's global variables, as modules will see them.
    public var variables = ShellVariables()
    public var kernelVersion = ""
    public var outputPath = ""
    public var sysroot = ""
    public var moduleSearchPath: [String] = []
    public var includes: [(source: String, target: String)] = []
    public var storedParameters = ""
    public var logLevel = LogLevel.info
    public var verboseListing = false
    public var keepTemporaryDirectory = false
    /// --printsize: each module's growth of the image tree.
    public var printSize = false
    /// --explain FILE: where to write which step put each path into the image.
    public var explainPath: String?
    public var configFiles: [String] = []

    public var force: Bool { variables["force"] == "yes" }
    public var noKernel: Bool { variables["no_kernel"] == "yes" }
    public var kernelOnly: Bool { variables["kernel_only"] == "yes" }
    public var hostonly: Bool { variables["hostonly"] == "-h" }
    public var compress: String { variables["compress"] ?? "" }
    public var temporaryDirectoryParent: String { variables["tmpdir"] ?? "/var/tmp" }
    /// Seconds one module function may run (--module-timeout, module_timeout); nil: no limit.
    public var moduleTimeout: Int? { seconds(of: "module_timeout", defaultValue: ConfigurationLoader.defaultModuleTimeout) }
    /// Seconds to wait for another build writing into the same directory (--lock-timeout,
    /// lock_timeout); nil: no limit.
    public var lockTimeout: Int? { seconds(of: "lock_timeout", defaultValue: ConfigurationLoader.defaultLockTimeout) }

    private func seconds(of variable: String, defaultValue: Int) -> Int? {
        guard let text = variables[variable], !text.isEmpty else { return defaultValue }
        guard let seconds = Int(text), seconds > 0 else { return nil }
        return seconds
    }

    public var moduleRequest: (modules: [String], add: [String], forceAdd: [String], omit: [String]) {
        (variables.words("dracutmodules"), variables.words("add_dracutmodules"),
         variables.words("force_add_dracutmodules"), variables.words("omit_dracutmodules"))
    }
}

/// Where Kindling's own files are: the shim and the modules.d it ships.
public struct DataDirectory: Sendable {
    public var shim: String
    public var modules: String

    public init(shim: String, modules: String) {
        self.shim = shim
        self.modules = modules
    }

    /// $KINDLING_DATADIR; else the directory of the real executable, which the install layout makes
    /// LIBDIR/kindling (BINDIR/kindling is a relative symbolic link to it, so any BINDIR and LIBDIR
    /// work and DESTDIR trees stay relocatable); else, for a SwiftPM build product under .build*,
    /// the checkout it was built in. An installed binary never looks at a checkout.
    public static func locate(executable: String, environment: [String: String]) -> DataDirectory? {
        if let explicit = environment["KINDLING_DATADIR"] {
            return DataDirectory(shim: explicit + "/kindling-shim.bash", modules: explicit + "/modules.d")
        }
        let resolved = realpath(executable, nil).map { pointer in
            defer { free(pointer) }
            return String(cString: pointer)
        } ?? executable
        var directory = (resolved as NSString).deletingLastPathComponent
        if let installed = DataDirectory(holdingFilesIn: directory, shim: "kindling-shim.bash") { return installed }
        guard resolved.split(separator: "/").contains(where: { $0.hasPrefix(".build") }) else { return nil }
        while directory != "/" && !directory.isEmpty {
            if FileManager.default.fileExists(atPath: directory + "/Package.swift"),
               let checkout = DataDirectory(holdingFilesIn: directory, shim: "shim/kindling-shim.bash") {
                return checkout
            }
            directory = (directory as NSString).deletingLastPathComponent
        }
        return nil
    }

    private init?(holdingFilesIn directory: String, shim: String) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory + "/" + shim),
              FileManager.default.fileExists(atPath: directory + "/modules.d", isDirectory: &isDirectory),
              isDirectory.boolValue else { return nil }
        self.init(shim: directory + "/" + shim, modules: directory + "/modules.d")
    }
}

/// Reads the command line and the configuration into a BuildConfiguration.
public struct ConfigurationLoader {
    public var environment: [String: String]
    public var ownModules: String
    public var kernelRelease: () -> String
    /// Where --persistent-policy's directories are looked for (the host's, as dracut looks).
    public var diskDirectory = "/dev/disk"

    public init(environment: [String: String], ownModules: String, kernelRelease: @escaping () -> String) {
        self.environment = environment
        self.ownModules = ownModules
        self.kernelRelease = kernelRelease
    }

    public func load(arguments: [String], logger: Logger) throws -> BuildConfiguration {
        let commandLine = try CommandLineParser().parse(arguments)
        var configuration = BuildConfiguration()
        configuration.storedParameters = commandLine.storedParameters
        configuration.includes = commandLine.includes

        for option in commandLine.options {
            switch option.spec.effect {
            case .command("help"): configuration.action = .help; return configuration
            case .command("version"): configuration.action = .version; return configuration
            default: break
            }
        }
        if let unsupported = commandLine.options.first(where: { !$0.spec.isSupported }) {
            throw ConfigError(description: "option \(unsupported.spec.displayName) is not supported yet")
        }

        configuration.sysroot = commandLine.values(of: "sysroot").last.map(Self.trimmingTrailingSlashes) ?? ""
        let sysroot = configuration.sysroot
        var presets = ShellVariables()
        presets["dracutsysrootdir"] = sysroot
        let explicitBasedir = environment["dracutbasedir"]
        let basedir = explicitBasedir ?? (sysroot + "/usr/lib/dracut")
        if let explicitBasedir { presets["dracutbasedir"] = explicitBasedir }
        for option in commandLine.options {
            applyEarly(option.spec.effect, value: option.value, to: &presets)
        }

        configuration.configFiles = try configFiles(commandLine, sysroot: sysroot, basedir: basedir)
        var variables = try ConfigEvaluator().evaluate(files: configuration.configFiles, presets: presets, logger: logger)

        var appended: [(name: String, values: [String])] = []
        for option in commandLine.options {
            apply(option.spec.effect, value: option.value, to: &variables, appending: &appended)
        }
        // dracut gathers each list option's values in an array and appends them once: `x+=" a b "`.
        for (name, values) in appended { variables.append(name, words: values) }
        var verbosity = 0
        var noCompress = false
        for option in commandLine.options {
            switch option.spec.effect {
            case .command("verbose"): verbosity += 1
            case .command("quiet"): verbosity -= 1
            case .command("no-compress"): noCompress = true
            case .command("keep"): configuration.keepTemporaryDirectory = true
            case .command("printsize"): configuration.printSize = true
            case .command("explain"): configuration.explainPath = option.value
            case .command("list-modules"): configuration.action = .listModules
            case .command("print-cmdline"):
                configuration.action = .printCommandLine
                variables["hostonly"] = "yes"
                variables["kernel_only"] = "yes"
                variables["no_kernel"] = "yes"
            default: break
            }
        }
        configuration.verboseListing = verbosity > 0
        if let compress = environment["INITRD_COMPRESS"], !commandLine.options.contains(where: {
            if case .set("compress", _) = $0.spec.effect { return true }
            return $0.spec.longNames == ["compress"]
        }) {
            variables["compress"] = compress
        }
        if noCompress { variables["compress"] = "cat" }

        // As in dracut: the config may ask for parallel rebuilds, never for the rebuild itself.
        if commandLine.options.contains(where: { $0.spec.effect == .command("regenerate-all") }) {
            if commandLine.contains("kver") || commandLine.positionals.count > 1 {
                throw ConfigError(description: "--regenerate-all cannot be called with a kernel version")
            }
            if !commandLine.positionals.isEmpty {
                throw ConfigError(description: "--regenerate-all cannot be called with an image file")
            }
            configuration.action = .regenerateAll(Regeneration(
                parallel: variables["parallel"] == "yes",
                commonArguments: Regeneration.commonArguments(arguments, parsed: commandLine)))
            configuration.variables = variables
            return configuration
        }

        try finish(&configuration, variables: &variables, commandLine: commandLine, verbosity: verbosity)
        if let warning = Self.checkPersistentPolicy(&variables, diskDirectory: diskDirectory) { logger.warning(warning) }
        configuration.variables = variables
        return configuration
    }

    private func applyEarly(_ effect: OptionEffect, value: String?, to variables: inout ShellVariables) {
        switch effect {
        case .early(let name, let fixed): variables[name] = fixed
        case .earlyValue(let name): variables[name] = value ?? ""
        case .several(let effects): effects.forEach { applyEarly($0, value: value, to: &variables) }
        default: break
        }
    }

    private func apply(_ effect: OptionEffect, value: String?, to variables: inout ShellVariables,
                       appending appended: inout [(name: String, values: [String])]) {
        switch effect {
        case .appendList(let name):
            if let index = appended.firstIndex(where: { $0.name == name }) {
                appended[index].values.append(value ?? "")
            } else {
                appended.append((name, [value ?? ""]))
            }
        case .appendElement(let name): variables.appendElement(name, value ?? "")
        case .replaceList(let name):
            // Repeated options accumulate among themselves, then replace the config value.
            let previous = variables["kindling_cli_\(name)"]
            let joined = previous.map { $0 + " " + (value ?? "") } ?? (value ?? "")
            variables["kindling_cli_\(name)"] = joined
            variables[name] = joined
        case .scalar(let name): variables[name] = value ?? ""
        case .set(let name, let fixed): variables[name] = fixed
        case .several(let effects): effects.forEach { apply($0, value: value, to: &variables, appending: &appended) }
        case .early, .earlyValue, .command: break
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
              isDirectory.boolValue else {
            variables.remove("persistent_policy")
            return "Invalid persistent policy, your system does not have a /dev/disk/\(policy) directory."
        }
        return nil
    }

    /// The config files in the order dracut sources them.
    func configFiles(_ commandLine: ParsedCommandLine, sysroot: String, basedir: String) throws -> [String] {
        let local = commandLine.contains("local")
        var files: [String] = []
        if let explicit = commandLine.values(of: "conf").last {
            // stat, not FileManager: the name's raw bytes (PathBytes), UTF-8 or not.
            guard fileType(explicit) != nil else {
                throw ConfigError(description: "configuration file \(PathBytes.quoted(explicit)) not found")
            }
            files.append(explicit)
        } else {
            let main = local ? basedir + "/dracut.conf" : sysroot + "/etc/dracut.conf"
            if fileType(main) != nil { files.append(main) }
        }
        var directories: [String]
        if let explicit = commandLine.values(of: "confdir").last {
            guard fileType(explicit) == S_IFDIR else {
                throw ConfigError(description: "configuration directory \(PathBytes.quoted(explicit)) not found")
            }
            directories = [explicit]
        } else {
            directories = [local ? basedir + "/dracut.conf.d" : sysroot + "/etc/dracut.conf.d"]
        }
        directories += commandLine.values(of: "add-confdir")
        directories.append(basedir + "/dracut.conf.d")
        return files + Self.dropIns(in: directories)
    }

    /// `*.conf` names from all directories, version-sorted; a name in an earlier directory shadows later ones.
    static func dropIns(in directories: [String]) -> [String] {
        var firstPath: [String: String] = [:]
        for directory in directories {
            let names = directoryEntries(directory) ?? []
            for name in names where name.hasSuffix(".conf") && firstPath[name] == nil {
                firstPath[name] = directory + "/" + name
            }
        }
        return firstPath.keys.sorted(by: versionOrder).map { firstPath[$0]! }
    }

    /// `sort -V` for file names: runs of digits compare as numbers, the rest byte by byte.
    static func versionOrder(_ lhs: String, _ rhs: String) -> Bool {
        var left = PathBytes.bytes(lhs)[...]
        var right = PathBytes.bytes(rhs)[...]
        func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
        while let a = left.first, let b = right.first {
            if isDigit(a) && isDigit(b) {
                let leftDigits = left.prefix(while: isDigit), rightDigits = right.prefix(while: isDigit)
                let leftNumber = leftDigits.drop { $0 == 48 }, rightNumber = rightDigits.drop { $0 == 48 }
                if leftNumber.count != rightNumber.count { return leftNumber.count < rightNumber.count }
                if !leftNumber.elementsEqual(rightNumber) { return leftNumber.lexicographicallyPrecedes(rightNumber) }
                left = left.dropFirst(leftDigits.count)
                right = right.dropFirst(rightDigits.count)
            } else {
                if a != b { return a < b }
                left = left.dropFirst()
                right = right.dropFirst()
            }
        }
        return left.isEmpty && !right.isEmpty
    }

    private func finish(_ configuration: inout BuildConfiguration, variables: inout ShellVariables,
                        commandLine: ParsedCommandLine, verbosity: Int) throws {
        for name in variables.values.keys where name.hasPrefix("kindling_cli_") { variables.remove(name) }
        var positionals = commandLine.positionals
        if positionals.count > 2 {
            throw ConfigError(description: "unknown arguments: \(positionals[2...].joined(separator: " "))")
        }
        if positionals.count == 2 && variables.has("kernel") && commandLine.contains("kver") {
            positionals.removeLast()
        }
        if positionals.count == 2 { variables["kernel"] = positionals[1] }
        if !variables.has("kernel") { variables["kernel"] = kernelRelease() }
        configuration.kernelVersion = variables["kernel"]!

        let level = Int(variables["stdloglvl"] ?? "") ?? 4
        let clamped = min(max(level + verbosity, 0), 6)
        variables["stdloglvl"] = String(clamped)
        configuration.logLevel = LogLevel(rawValue: max(clamped, 1)) ?? .info
        if configuration.action == .printCommandLine { configuration.logLevel = .fatal }

        if variables["hostonly"] == "yes" {
            variables["hostonly"] = "-h"
            if !variables.has("hostonly_cmdline") { variables["hostonly_cmdline"] = "yes" }
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
        for (variable, what) in [("module_timeout", "module timeout"), ("lock_timeout", "lock timeout")] {
            if let timeout = variables[variable], !timeout.isEmpty, Int(timeout).map({ $0 < 0 }) ?? true {
                throw ConfigError(
                    description: "invalid \(what) \(PathBytes.quoted(timeout)): give a number of seconds (0: no limit)")
            }
        }
        if !variables.has("tmpdir") { variables["tmpdir"] = environment["TMPDIR"] ?? (configuration.sysroot + "/var/tmp") }
        if ["", "auto"].contains(variables["dracutmodules"] ?? "") { variables["dracutmodules"] = "all" }
        let sysroot = configuration.sysroot
        let kernel = configuration.kernelVersion
        if !variables.has("fw_dir") {
            variables["fw_dir"] = ["/lib/firmware/updates/\(kernel)", "/lib/firmware/updates",
                                   "/lib/firmware/\(kernel)", "/lib/firmware"].map { sysroot + $0 }.joined(separator: ":")
        }
        variables["DRACUT_FIRMWARE_PATH"] = (variables["fw_dir"] ?? "").replacingOccurrences(of: " ", with: ":")
        variables["fw_dir"] = (variables["fw_dir"] ?? "").replacingOccurrences(of: ":", with: " ")
        variables["srcmods"] = variables.has("drivers_dir")
            ? variables["drivers_dir"]! : "\(sysroot)/lib/modules/\(kernel)/"

        SystemPaths.fill(&variables, sysroot: sysroot)
        if !variables.has("hookdirs") { variables["hookdirs"] = Self.hookDirectories.joined(separator: " ") + " " }
        if !variables.has("DRACUT_PATH") { variables["DRACUT_PATH"] = environment["DRACUT_PATH"] ?? "/sbin /bin /usr/sbin /usr/bin" }

        let moduleDirectories = commandLine.values(of: "modules-dir") + variables.words("modules_dirs")
        var searchPath = moduleDirectories
        // Only a dracutbasedir that the environment or a config file names joins the module path.
        if variables.has("dracutbasedir") {
            searchPath.append(variables["dracutbasedir"]! + "/modules.d")
        } else {
            variables["dracutbasedir"] = sysroot + "/usr/lib/dracut"
        }
        searchPath.append(ownModules)
        configuration.moduleSearchPath = searchPath

        if positionals.isEmpty {
            configuration.outputPath = DefaultImagePath(sysroot: sysroot, usesMachineID: variables["machine_id"] != "no")
                .path(forKernel: kernel)
        } else {
            configuration.outputPath = positionals[0]
        }
    }

    /// Ten minutes: far beyond any sane check() or install(), short of a hung build.
    public static let defaultModuleTimeout = 600
    public static let defaultLockTimeout = 600

    /// dracut's hook points, in the order /init runs them.
    public static let hookDirectories = [
        "cmdline", "pre-udev", "pre-trigger", "netroot", "initqueue", "initqueue/settled", "initqueue/online",
        "initqueue/finished", "initqueue/timeout", "pre-mount", "pre-pivot", "cleanup", "mount", "emergency",
        "shutdown-emergency", "pre-shutdown", "shutdown",
    ]

    static func trimmingTrailingSlashes(_ path: String) -> String {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path == "/" ? "" : path
    }
}
