#if canImport(Glibc)
import Glibc
#endif
import Archive
import Configuration
import Foundation
import Installer
import ModuleGraph
import ShellBridge
import StagedTree
import Support

/// One build, from a configuration to an image file: the layers in the order data flows through them.
final class ImageBuild {
    let configuration: BuildConfiguration
    let data: DataDirectory
    let logger: Logger
    private var variables: ShellVariables

    init(configuration: BuildConfiguration, data: DataDirectory, logger: Logger) {
        self.configuration = configuration
        self.data = data
        self.logger = logger
        variables = configuration.variables
    }

    private var sysroot: String { configuration.sysroot }

    func run() throws {
        let output = configuration.outputPath
        var outputLock: OutputDirectoryLock?
        defer { outputLock?.release() }
        if configuration.action == .build {
            let directory = try checkOutputDirectory(output)
            // Held to the end: another build of the same image waits, then sees this one's image.
            outputLock = try OutputDirectoryLock(directory: directory) {
                logger.info("Waiting for another build writing into \($0)")
            }
            try checkExistingImage(output)
        }
        try checkKernelRequest()

        let staging = try StagingDirectory(parent: try temporaryParent())
        staging.keep = configuration.keepTemporaryDirectory
        defer {
            if staging.keep { logger.info("Not removing \(staging.path).") }
            staging.remove()
        }
        variables["DRACUT_TMPDIR"] = staging.path
        variables["initdir"] = staging.imageRoot
        variables["libdirs"] = " " + LibraryDirectories.forSysroot(sysroot).joined(separator: " ") + " "
        let lazy = sysroot.isEmpty
        if lazy { variables["DRACUT_RESOLVE_LAZY"] = "1" } else { variables["DRACUT_RESOLVE_DEPS"] = "1" }

        let searchPath = Self.resolvedSearchPath(variables.words("DRACUT_PATH"), sysroot: sysroot)
        let installer = FileInstaller(
            sysroot: sysroot, imageRoot: staging.imageRoot, searchPath: searchPath,
            resolver: LibraryResolver(sysroot: sysroot), resolvesEagerly: !lazy, logger: logger)
        let helpers = DracutHelpers(installer: installer, context: HelperContext(
            sysroot: sysroot, hookDirectories: variables["hookdirs"] ?? "", binaryPath: variables.words("DRACUT_PATH"),
            libraryDirectories: variables.words("libdirs"), udevDirectory: variables["udevdir"] ?? "/lib/udev",
            dracutBaseDirectory: variables["dracutbasedir"] ?? "/usr/lib/dracut"), logger: logger)

        let drivers = driverOptions
        let kernelModules = KernelModuleHelpers(settings: KernelModuleSettings(
            noKernel: configuration.noKernel, sysroot: sysroot, kernelVersion: configuration.kernelVersion,
            moduleDirectory: variables["srcmods"] ?? "", firmwareDirectories: variables.words("fw_dir"),
            omittedDriversPattern: drivers.omitPattern), imageInstaller: installer, logger: logger)
        kernelModules.register(in: helpers)
        // Modules see omit_drivers as dracut rewrites it: a regex of ^name$ alternatives.
        variables["omit_drivers"] = drivers.omitPattern

        let shell = try BashSession(shimPath: data.shim, environment: shellEnvironment(searchPath: searchPath), logger: logger)
        shell.callTimeout = configuration.moduleTimeout
        Cancellation.shared.watch(shell.processIdentifier)
        defer {
            Cancellation.shared.watch(nil)
            shell.terminate()
        }
        let hostDevices = HostDevices(variables: variables, logger: logger)
        try shell.evaluate(variableDeclarations() + "\n" + hostDevices.declarations, handler: helpers)
        let runner = ShellModuleRunner(shell: shell, helpers: helpers)

        let catalog = ModuleCatalog(searchPath: configuration.moduleSearchPath)
        let request = configuration.moduleRequest
        let modules = try ModuleSelector(catalog: catalog, runner: runner, logger: logger).select(ModuleRequest(
            modules: request.modules == ["all"] ? [] : request.modules, add: request.add,
            forceAdd: request.forceAdd, omit: request.omit, checkMounts: !hostDevices.filesystemTypes.isEmpty))
        try Cancellation.shared.checkpoint()

        if configuration.action == .printCommandLine {
            var printed = ""
            for module in modules { printed += try runner.call(module, "cmdline", .capture).output }
            writeStandardOutput(printed + "\n")
            return
        }

        try BaseLayout(installer: installer, variables: variables, sysroot: sysroot).create(kernelOnly: configuration.kernelOnly)
        try install(modules, runner: runner, shell: shell, helpers: helpers)
        if !configuration.noKernel {
            try kernelModules.installDrivers(drivers)
            logger.info("*** Installing kernel module dependencies ***")
            try kernelModules.writeModuleIndex()
            logger.info("*** Installing kernel module dependencies done ***")
        }
        try finishTree(installer: installer, shell: shell, helpers: helpers, lazy: lazy)
        if variables["do_strip"] == "yes" {
            try Stripper(imageRoot: staging.imageRoot, aggressive: variables["aggressive_strip"] == "yes", logger: logger).run()
        }
        try writeImage(root: staging.imageRoot, earlyRoot: try stageEarlyMicrocode(staging), to: output)
    }

    // MARK: Before the modules

    private func checkExistingImage(_ output: String) throws {
        var status = stat()
        if stat(output, &status) == 0, !configuration.force {
            throw BuildFailure("Will not override existing initramfs (\(output)) without --force")
        }
    }

    /// The directory the image goes into, which must exist and be writable.
    private func checkOutputDirectory(_ output: String) throws -> String {
        let directory = (output as NSString).deletingLastPathComponent.isEmpty ? "." : (output as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw BuildFailure("Can't write to \(directory): Directory \(directory) does not exist or is not accessible.")
        }
        guard access(directory, W_OK) == 0 else {
            throw BuildFailure("No permission to write to \(directory): \(systemErrorDescription()).")
        }
        return directory
    }

    private func checkKernelRequest() throws {
        guard !configuration.noKernel else { return }
        if let driversDirectory = variables["drivers_dir"], !driversDirectory.isEmpty,
           currentEnvironment()["DRACUT_KMODDIR_OVERRIDE"] == nil {
            try KernelModuleDirectory.checkDriversDirectory(driversDirectory, kernelVersion: configuration.kernelVersion)
        }
        if let warning = try KernelModuleDirectory.checkContents(of: variables["srcmods"] ?? "") { logger.warning(warning) }
    }

    private var driverOptions: DriverOptions {
        DriverOptions(drivers: variables.words("drivers"), addDrivers: variables.words("add_drivers"),
                      forceDrivers: variables.words("force_drivers"), filesystems: variables.words("filesystems"),
                      omitDrivers: variables.words("omit_drivers"))
    }

    private func temporaryParent() throws -> String {
        let parent = configuration.temporaryDirectoryParent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw BuildFailure("Invalid tmpdir '\(parent)'.")
        }
        return (parent as NSString).resolvingSymlinksInPath
    }

    /// dracut's PATH: each $DRACUT_PATH directory with symlinks resolved, without repeats.
    static func resolvedSearchPath(_ directories: [String], sysroot: String) -> [String] {
        var result: [String] = []
        for directory in directories {
            var resolved = directory
            if let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: sysroot + directory) {
                resolved = destination.hasPrefix("/") ? destination
                    : ((directory as NSString).deletingLastPathComponent as NSString).appendingPathComponent(destination)
            }
            if !result.contains(resolved) { result.append(resolved) }
        }
        return result
    }

    private func shellEnvironment(searchPath: [String]) -> [String: String] {
        var environment = currentEnvironment().filter { !$0.key.hasPrefix("LD_") && !$0.key.hasPrefix("LC_") }
        environment["LC_ALL"] = "C"
        environment["LANG"] = "C"
        environment["PATH"] = sysroot.isEmpty ? searchPath.joined(separator: ":") : (environment["PATH"] ?? "/usr/sbin:/usr/bin")
        environment["SYSTEMCTL"] = environment["SYSTEMCTL"] ?? "systemctl"
        environment["DRACUT_CP"] = "cp --reflink=auto --sparse=auto --preserve=mode,timestamps,links -dfr"
        return environment
    }

    /// Every dracut variable, exported as dracut exports its globals; initdir is read-only.
    private func variableDeclarations() -> String {
        var lines: [String] = []
        for (name, value) in variables.values.sorted(by: { $0.key < $1.key }) where Self.isShellName(name) {
            switch value {
            case .scalar(let text): lines.append("declare -gx \(name)=\(shellQuote(text))")
            default: lines.append(value.declaration(of: name))
            }
        }
        lines.append("readonly initdir DRACUT_TMPDIR")
        lines.append("declare -ga root_devs=() swap_devs=()")
        // The installed dracut's version when there is one, so images match dracut's byte for byte.
        lines.append("DRACUT_VERSION=\(shellQuote(KindlingVersion.dracutCompatible))")
        lines.append("[[ -f $dracutbasedir/dracut-version.sh ]] && . \"$dracutbasedir/dracut-version.sh\"")
        lines.append("export DRACUT_VERSION")
        return lines.joined(separator: "\n")
    }

    static func isShellName(_ name: String) -> Bool {
        func isLetter(_ byte: UInt8) -> Bool { byte == 95 || (byte | 0x20 >= 97 && byte | 0x20 <= 122) }
        guard let first = name.utf8.first, isLetter(first) else { return false }
        return name.utf8.allSatisfy { isLetter($0) || ($0 >= 48 && $0 <= 57) }
    }

    // MARK: The modules

    private func install(_ modules: [Module], runner: ShellModuleRunner, shell: BashSession, helpers: DracutHelpers) throws {
        var pending = modules.map(\.name)
        var loaded: [String] = []
        var installedSize = 0
        for module in modules {
            try Cancellation.shared.checkpoint()
            if variables["show_modules"] == "yes" {
                writeStandardOutput(module.name + "\n")
            } else {
                logger.info("*** Including module: \(module.name) ***")
            }
            try shell.evaluate("mods_to_load=\(shellQuote(" " + pending.joined(separator: " ") + " ")); modules_loaded=\(shellQuote(" " + loaded.joined(separator: " ") + " "))")
            if !configuration.kernelOnly {
                _ = try runner.call(module, "install", .run)
            }
            if !configuration.noKernel {
                _ = try runner.call(module, "installkernel", .run, failureIsFatal: true)
            }
            pending.removeAll { $0 == module.name }
            loaded.append(module.name)
            if configuration.printSize {
                let size = Self.diskUsageKiB(variables["initdir"]!)
                writeStandardOutput("\(module.name) install size: \(size - installedSize)k\n")
                installedSize = size
            }
        }
        try shell.evaluate("mods_to_load=''; modules_loaded=\(shellQuote(" " + loaded.joined(separator: " ") + " "))")
        let modulesFile = variables["initdir"]! + "/lib/dracut/modules.txt"
        try (loaded.map { $0 + "\n" }.joined()).write(toFile: modulesFile, atomically: false, encoding: .utf8)
        logger.info("*** Including modules done ***")
    }

    /// `du -sk`: the blocks of every file and directory, each inode counted once.
    static func diskUsageKiB(_ root: String) -> Int {
        var seen = Set<UInt64>()
        var blocks = 0
        func visit(_ path: String) {
            var status = stat()
            guard lstat(path, &status) == 0, seen.insert(UInt64(status.st_ino)).inserted else { return }
            blocks += Int(status.st_blocks)
            if status.st_mode & S_IFMT == S_IFDIR {
                for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] { visit(path + "/" + name) }
            }
        }
        visit(root)
        return blocks / 2
    }

    // MARK: After the modules

    private func finishTree(installer: FileInstaller, shell: BashSession, helpers: DracutHelpers, lazy: Bool) throws {
        try Cancellation.shared.checkpoint()
        let root = variables["initdir"]!
        if !configuration.kernelOnly {
            let items = variables.words("install_items"), optional = variables.words("install_optional_items")
            if !items.isEmpty { try runHelper(shell, helpers, ["inst_multiple"] + items) }
            if !optional.isEmpty { try runHelper(shell, helpers, ["inst_multiple", "-o"] + optional) }
            let fstab = try HostDevices.fstabLines(variables)
            if !fstab.isEmpty {
                try appendLine(fstab.joined(separator: "\n"), to: root + "/etc/fstab")
            }
            if variables.has("kernel_cmdline") {
                try appendLine(variables["kernel_cmdline"]!, to: root + "/etc/cmdline.d/01-default.conf")
            }
            try writeSystemdConfiguration(root: root)
            if lazy {
                logger.info("*** Resolving executable dependencies ***")
                try installer.resolveInstalledExecutables()
                logger.info("*** Resolving executable dependencies done ***")
            }
            installer.resolvesEagerly = true
        }
        for include in configuration.includes {
            try Includes(installer: installer, logger: logger).include(include.source, at: include.target)
        }
        for directory in LibraryDirectories.loaderCacheDirectories(sysroot: sysroot) {
            removeEmptyDirectories(root + directory, stoppingAt: root)
        }
        // As bytes: a parameter may name a file whose name is not UTF-8.
        guard FileManager.default.createFile(atPath: root + "/lib/dracut/build-parameter.txt",
                                             contents: Data(PathBytes.bytes(configuration.storedParameters + "\n"))) else {
            throw BuildFailure("cannot write \(root)/lib/dracut/build-parameter.txt")
        }
        if !configuration.kernelOnly {
            // As dracut does for libpthread users: glibc loads libgcc_s at run time for thread cancellation.
            try shell.evaluate("""
                for __d in ${libdirs-}; do
                    for __f in "${dracutsysrootdir-}$__d"/libpthread.so*; do
                        [[ -e $__f ]] || continue
                        inst_libdir_file 'libgcc_s.so*'
                        break 2
                    done
                done
                """, handler: helpers)
            try LoaderCacheBuilder(installer: installer, sysroot: sysroot, logger: logger).build()
        }
    }

    private func runHelper(_ shell: BashSession, _ helpers: DracutHelpers, _ words: [String]) throws {
        _ = try shell.evaluate(words.map(shellQuote).joined(separator: " "), handler: helpers)
    }

    private func writeSystemdConfiguration(root: String) throws {
        guard let utilities = variables["systemdutildir"], !(sysroot + utilities).isEmpty else { return }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root + utilities, isDirectory: &isDirectory), isDirectory.boolValue else { return }
        try FileManager.default.createDirectory(atPath: root + "/etc/conf.d", withIntermediateDirectories: true)
        let text = ["systemdutildir", "systemdsystemunitdir", "systemdsystemconfdir"]
            .map { "\($0)=\"\(variables[$0] ?? "")\"\n" }.joined()
        try text.write(toFile: root + "/etc/conf.d/systemd.conf", atomically: false, encoding: .utf8)
    }

    private func appendLine(_ line: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let existing = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        try (existing + line + "\n").write(toFile: path, atomically: false, encoding: .utf8)
    }

    /// `rmdir -p --ignore-fail-on-non-empty`: removes the directory and its empty parents.
    private func removeEmptyDirectories(_ path: String, stoppingAt root: String) {
        var current = path
        while current.count > root.count, rmdir(current) == 0 {
            current = (current as NSString).deletingLastPathComponent
        }
    }

    // MARK: The archive

    /// The newest modification time a reproducible image may hold: SOURCE_DATE_EPOCH, or with
    /// --reproducible the time of Kindling's shim (dracut uses its dracut-functions.sh).
    private var reproducibleTime: Int64? {
        if let epoch = currentEnvironment()["SOURCE_DATE_EPOCH"].flatMap({ Int64($0) }) { return epoch }
        guard variables["reproducible"] == "yes" else { return nil }
        var status = stat()
        return stat(data.shim, &status) == 0 ? Int64(status.st_mtim.tv_sec) : 0
    }

    private func stageEarlyMicrocode(_ staging: StagingDirectory) throws -> String? {
        guard variables["early_microcode"] == "yes" else { return nil }
        let directory = staging.path + "/early"
        let host = configuration.hostonly
            ? (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)).flatMap(HostProcessor.init(cpuinfo:)) : nil
        if configuration.hostonly && host == nil { return nil }
        let microcode = EarlyMicrocode(firmwareDirectories: variables.words("fw_dir"), hostProcessor: host)
        guard try microcode.stage(in: directory) else { return nil }
        logger.info("*** Generating early-microcode cpio image ***")
        return directory
    }

    private func writeImage(root: String, earlyRoot: String?, to output: String) throws {
        try Cancellation.shared.checkpoint()
        logger.info("*** Creating image file '\(output)' ***")
        let compressor = try Compressor(variables["compress"] ?? "")
        var entries = try TreeScanner(root: root).entries()
        if variables["do_hardlink"] == "yes" { try ArchivePolish.linkIdenticalFiles(&entries) }
        if let limit = reproducibleTime { ArchivePolish.clampTimes(&entries, to: limit) }
        let file = try AtomicFile(replacing: output)
        let fileSink = FileSink(fileDescriptor: file.fileDescriptor, name: file.temporaryPath)
        if let earlyRoot {
            var early = try TreeScanner(root: earlyRoot).entries()
            if let limit = reproducibleTime { ArchivePolish.clampTimes(&early, to: limit) }
            try CpioWriter(sink: fileSink).writeArchive(early)
        }
        let sink = CancellingSink(try compressor.sink(writingTo: fileSink))
        _ = try CpioWriter(sink: sink).writeArchive(entries)
        try sink.finish()
        try Cancellation.shared.checkpoint()
        try file.commit()
        logger.info("*** Creating initramfs image file '\(output)' done ***")
    }
}
