import Foundation
import Support

/// Reads the command line and the configuration into a BuildConfiguration.
public struct ConfigurationLoader {
    public var environment: [String: String]
    public var ownModules: String
    public var kernelRelease: () -> String
    /// Where --persistent-policy's directories are looked for (the host's, as dracut looks).
    public var diskDirectory = "/dev/disk"
    /// dracut-ng's drop-in directory for the running system, read last (not under --sysroot).
    public var runtimeConfigDirectory = "/run/initramfs/dracut.conf.d"

    public init(environment: [String: String], ownModules: String, kernelRelease: @escaping () -> String) {
        self.environment = environment
        self.ownModules = ownModules
        self.kernelRelease = kernelRelease
    }

    public func load(arguments: [String], logger: Logger) throws -> BuildConfiguration {
        let commandLine = try CommandLineParser().parse(try extraArguments() + arguments)
        var configuration = BuildConfiguration()
        configuration.storedParameters = commandLine.storedParameters
        configuration.includes = commandLine.includes

        for option in commandLine.options {
            switch option.spec.effect {
            case .command(.help): configuration.action = .help; return configuration
            case .command(.version): configuration.action = .version; return configuration
            default: break
            }
        }
        if let unsupported = commandLine.options.first(where: { !$0.spec.isSupported }) {
            throw ConfigError(description: "option \(unsupported.spec.displayName) is not supported yet")
        }

        let sysroot = commandLine.values(of: "sysroot").last.map(Self.trimmingTrailingSlashes) ?? ""
        let explicitBasedir = environment["dracutbasedir"]
        let basedir = explicitBasedir ?? (sysroot + "/usr/lib/dracut")
        var assignments = OptionAssignments()
        assignments.add(.early("dracutsysrootdir", sysroot), value: nil)
        if let explicitBasedir { assignments.add(.early("dracutbasedir", explicitBasedir), value: nil) }
        for option in commandLine.options {
            assignments.add(option.spec.effect, value: option.value)
        }
        // The files see $kernel (Debian's dracut-ng sets initrdname="initrd.img-${kernel}"): both
        // dracuts know --kver and the operand by then; dracut-ng also the running kernel.
        if let kernel = commandLine.values(of: "kver").last
            ?? (commandLine.positionals.count > 1 ? commandLine.positionals[1] : nil)
            ?? (DracutRelease.installed(in: basedir).flavour == .dracutNG ? kernelRelease() : nil)
        {
            assignments.add(.early("kernel", kernel), value: nil)
        }

        configuration.configFiles = try configFiles(commandLine, sysroot: sysroot, basedir: basedir)
        var (variables, fileOrigins) = try ConfigEvaluator().read(
            files: configuration.configFiles, presets: assignments.presets, watching: VariableOrigins.watched,
            logger: logger)
        let origins = VariableOrigins(files: fileOrigins, commandLine: commandLine)
        var verbosity = 0
        var noCompress = false
        for option in commandLine.options {
            guard case .command(let command) = option.spec.effect else { continue }
            switch command {
            case .verbose: verbosity += 1
            case .quiet: verbosity -= 1
            case .noCompress: noCompress = true
            case .keep: configuration.keepTemporaryDirectory = true
            case .printSize: configuration.printSize = true
            case .printConfig: configuration.action = .printConfiguration
            case .explain:
                // A picture is asked for by its name: --explain map.svg is --explain-svg map.svg.
                if let path = option.value, path.lowercased().hasSuffix(".svg") {
                    configuration.explainSVGPath = path
                } else {
                    configuration.explainPath = option.value
                }
            case .explainSVG: configuration.explainSVGPath = option.value
            case .listModules: configuration.action = .listModules
            case .printCommandLine:
                configuration.action = .printCommandLine
                // Whatever the other options say: only the modules' command lines, for this host.
                assignments.add(
                    .several([.set("hostonly", "yes"), .set("kernel_only", "yes"), .set("no_kernel", "yes")]),
                    value: nil)
            default: break
            }
        }
        configuration.verboseListing = verbosity > 0
        if let compress = environment["INITRD_COMPRESS"],
            !commandLine.options.contains(where: {
                if case .set("compress", _) = $0.spec.effect { return true }
                return $0.spec.longNames == ["compress"]
            })
        {
            assignments.add(.set("compress", compress), value: nil)
        }
        if noCompress { assignments.add(.set("compress", "cat"), value: nil) }
        assignments.apply(to: &variables)

        // As in dracut: the config may ask for parallel rebuilds, never for the rebuild itself.
        if commandLine.options.contains(where: { $0.spec.effect == .command(.regenerateAll) }) {
            if commandLine.contains("kver") || commandLine.positionals.count > 1 {
                throw ConfigError(description: "--regenerate-all cannot be called with a kernel version")
            }
            if !commandLine.positionals.isEmpty {
                throw ConfigError(description: "--regenerate-all cannot be called with an image file")
            }
            // The builds for each kernel read DRACUT_EXTRA_ARGS themselves: only the command line is passed on.
            configuration.action = .regenerateAll(
                Regeneration(
                    parallel: BuildSettings.regeneratesInParallel(variables), sysroot: sysroot,
                    commonArguments: Regeneration.commonArguments(arguments, parsed: try CommandLineParser().parse(arguments))))
            return configuration
        }

        configuration.settings = try BuildSettings.derive(
            from: variables,
            SettingsSources(
                commandLine: commandLine, verbosity: verbosity, printsCommandLine: configuration.action == .printCommandLine,
                sysroot: sysroot, environment: environment, ownModules: ownModules, kernelRelease: kernelRelease,
                diskDirectory: diskDirectory, origins: origins),
            logger: logger)
        // The options stored in the image, as the dracut whose modules run stores them (dracut-ng
        // from 111: 106 still stores them all, after a space, as 059 does).
        if configuration.settings?.dracut.recordsOnlyImageParameters == true {
            configuration.storedParameters = commandLine.storedParameters(dracutNG: true)
        }
        return configuration
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
        for name in commandLine.values(of: "add-confdir") {
            directories.append(try Self.addedConfigDirectory(name, confdir: directories[0], basedir: basedir))
        }
        directories.append(basedir + "/dracut.conf.d")
        // dracut-ng reads the running system's drop-ins last; 059 does not know them.
        if DracutRelease.installed(in: basedir).flavour == .dracutNG { directories.append(runtimeConfigDirectory) }
        return files + Self.dropIns(in: directories)
    }

    /// --add-confdir NAME as dracut-ng looks it up: a directory as given, else NAME under the
    /// drop-in directory, else under BASEDIR/dracut.conf.d (51-dracut-rescue.install passes `rescue`).
    static func addedConfigDirectory(_ name: String, confdir: String, basedir: String) throws -> String {
        for candidate in [name, confdir + "/" + name, basedir + "/dracut.conf.d/" + name]
        where fileType(candidate) == S_IFDIR {
            return candidate
        }
        throw ConfigError(description: "--add-confdir: configuration directory \(PathBytes.quoted(name)) not found")
    }

    /// dracut-ng's DRACUT_EXTRA_ARGS: options split as xargs splits them, taken before the
    /// command line's, so the command line wins. 059 does not read it; Kindling reads it whatever
    /// the dracut, since only someone who wants its options sets it.
    func extraArguments() throws -> [String] {
        guard let text = environment["DRACUT_EXTRA_ARGS"], !text.isEmpty else { return [] }
        let words: [String]
        do { words = try ShellWords.split(text) } catch {
            throw ConfigError(description: "DRACUT_EXTRA_ARGS has an unterminated quote")
        }
        // Options only: dracut-ng takes no image or kernel version from it.
        let parsed: ParsedCommandLine
        do { parsed = try CommandLineParser().parse(words) } catch {
            throw ConfigError(description: "DRACUT_EXTRA_ARGS: \(error)")
        }
        if let operand = parsed.positionals.first {
            throw ConfigError(description: "DRACUT_EXTRA_ARGS: \(PathBytes.quoted(operand)) is not an option")
        }
        return words
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

    static func trimmingTrailingSlashes(_ path: String) -> String {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path == "/" ? "" : path
    }
}
