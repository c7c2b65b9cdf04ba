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
    /// With --explain: which step put each path into the tree.
    private var recorder: ProvenanceRecorder?

    init(configuration: BuildConfiguration, data: DataDirectory, logger: Logger) {
        self.configuration = configuration
        self.data = data
        self.logger = logger
        variables = configuration.variables
    }

    private var sysroot: String { configuration.sysroot }
    /// Files older than this, of the kinds a build leaves, are no live build's: this build's start,
    /// or the oldest other build's (0, so nothing, when /proc cannot tell).
    private let leftoverCutoff = LiveBuilds.cutoff() ?? 0

    func run() throws {
        let output = configuration.outputPath
        // Everything that can be checked is, before anything is locked, written or run.
        let checked = try BuildPreflight(configuration: configuration, logger: logger).run()
        let outputLock = try prepareOutput(output, in: checked.outputDirectory)
        defer { outputLock?.release() }
        try checkEnhancedCpio()

        for leftover in StagingDirectory.removeAbandoned(in: checked.temporaryParent, changedBefore: leftoverCutoff) {
            logger.info("Removed \(leftover), left by a build that was killed")
        }
        let staging = try StagingDirectory(parent: checked.temporaryParent)
        staging.keep = configuration.keepTemporaryDirectory
        defer {
            if staging.keep { logger.info("Not removing \(staging.path).") }
            staging.remove()
        }
        let tools = try makeTools(staging: staging)
        let shell = try BashSession(shimPath: data.shim, environment: shellEnvironment(searchPath: tools.searchPath), logger: logger)
        shell.callTimeout = configuration.moduleTimeout
        Cancellation.shared.watch(shell.processIdentifier)
        defer {
            Cancellation.shared.watch(nil)
            shell.terminate()
        }
        try prepareShell(shell, tools: tools)
        let runner = ShellModuleRunner(shell: shell, helpers: tools.helpers)
        runner.recorder = recorder
        let timer = PhaseTimer(logger: logger)
        let modules = try timer.measure("Selecting modules (check and depends)") { try selectModules(runner: runner, shell: shell) }
        try Cancellation.shared.checkpoint()

        if configuration.action == .printCommandLine {
            var printed = ""
            for module in modules { printed += try runner.call(module, "cmdline", .capture).output }
            writeStandardOutput(printed + "\n")
            return
        }

        try BaseLayout(installer: tools.installer, variables: variables, sysroot: sysroot).create(kernelOnly: configuration.kernelOnly)
        credit(.engine("base layout"))
        try timer.measure("Installing modules") { try install(modules, runner: runner, shell: shell, helpers: tools.helpers) }
        if !configuration.noKernel {
            try timer.measure("Installing kernel drivers and their index") { try installKernelDrivers(tools) }
            if imageIsNotNeeded() {
                logger.debug("Hostonly image without kernel modules, initqueue or command line: not writing \(output)")
                return
            }
        }
        try timer.measure("Finishing the image tree") {
            try finishTree(installer: tools.installer, shell: shell, helpers: tools.helpers, lazy: tools.resolvesLazily)
        }
        if variables["do_strip"] == "yes" {
            try timer.measure("Stripping") {
                try Stripper(imageRoot: staging.imageRoot, aggressive: variables["aggressive_strip"] == "yes", logger: logger).run()
            }
        }
        let earlyRoot = try stageEarlyMicrocode(staging)
        try timer.measure("Writing the image") {
            try writeImage(root: staging.imageRoot, earlyRoot: earlyRoot, to: output, compressor: checked.compressor)
        }
    }

    /// What installs into the staged tree, made once the staging directory exists.
    private struct Tools {
        let installer: FileInstaller
        let helpers: DracutHelpers
        let kernelModules: KernelModuleHelpers
        let drivers: DriverOptions
        let searchPath: [String]
        /// Without a sysroot, as in dracut, libraries are resolved in one pass after the modules.
        let resolvesLazily: Bool
    }

    // MARK: Before the modules

    /// A real build: the output directory checked and locked (held to the end of the build, so
    /// another build of the same image waits, then sees this one's image), and the old image kept
    /// unless --force.
    private func prepareOutput(_ output: String, in directory: String?) throws -> OutputDirectoryLock? {
        guard configuration.action == .build, let directory else { return nil }
        let lock = try OutputDirectoryLock(
            directory: directory, timeout: configuration.lockTimeout,
            waiting: { holder in
                logger.info("Waiting for \(holder.map { "build \($0)" } ?? "another build") writing into \(directory)")
            },
            checkpoint: { try Cancellation.shared.checkpoint() })
        // Holding the lock, no live build of this Kindling writes here: what killed builds left can
        // go, if it is older than every other build running (another version may lock otherwise).
        for leftover in AtomicFile.removeLeftovers(of: output, changedBefore: leftoverCutoff) {
            logger.info("Removed \(leftover), left by a build that was killed")
        }
        do {
            try checkExistingImage(output)
            try prepareInstallLog()
        } catch {
            lock.release()
            throw error
        }
        return lock
    }

    private func makeTools(staging: StagingDirectory) throws -> Tools {
        variables["DRACUT_TMPDIR"] = staging.path
        variables["initdir"] = staging.imageRoot
        // --libdirs and libdirs= win, as in dracut; only without them are the loader's directories used.
        if variables.words("libdirs").isEmpty {
            variables["libdirs"] = " " + LibraryDirectories.forSysroot(sysroot).joined(separator: " ") + " "
        }
        if configuration.explainPath != nil { recorder = ProvenanceRecorder(root: staging.imageRoot) }
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
        if let loginstall = variables["loginstall"], !loginstall.isEmpty {
            installer.installLog = try InstallLog(directory: loginstall)
        }
        setToolVariables()
        if configuration.hostonly { try writeKernelModaliases(kernelModules, staging: staging) }
        // Modules see omit_drivers as dracut rewrites it: a regex of ^name$ alternatives.
        variables["omit_drivers"] = drivers.omitPattern
        return Tools(installer: installer, helpers: helpers, kernelModules: kernelModules, drivers: drivers,
                     searchPath: searchPath, resolvesLazily: lazy)
    }

    /// dracut's variables in the shell every module runs in, and the host's devices found there,
    /// with the same helpers modules use to look at them.
    private func prepareShell(_ shell: BashSession, tools: Tools) throws {
        let hostDevices = HostDevices(variables: variables, logger: logger)
        try shell.evaluate(variableDeclarations() + "\n" + hostDevices.declarations, handler: tools.helpers)
        try shell.evaluate("__kindling_find_host_devices", handler: tools.helpers)
        if let helper = tools.helpers.unsupportedCall {
            throw BuildFailure("finding the host's devices needs \(helper), which Kindling does not implement yet")
        }
    }

    private func selectModules(runner: ShellModuleRunner, shell: BashSession) throws -> [Module] {
        let hasHostFilesystems = try shell.evaluate("((${#host_fs_types[@]} > 0))").status == 0
        let request = configuration.moduleRequest
        return try ModuleSelector(catalog: ModuleCatalog(searchPath: configuration.moduleSearchPath), runner: runner, logger: logger)
            .select(ModuleRequest(
                modules: request.modules == ["all"] ? [] : request.modules, add: request.add,
                forceAdd: request.forceAdd, omit: request.omit, checkMounts: hasHostFilesystems))
    }

    private func checkExistingImage(_ output: String) throws {
        var status = stat()
        if stat(output, &status) == 0, !configuration.force {
            throw BuildFailure("Will not override existing initramfs (\(output)) without --force")
        }
    }

    /// --loginstall DIR: created when missing, and named by its real path from then on.
    private func prepareInstallLog() throws {
        guard let directory = variables["loginstall"], !directory.isEmpty else { return }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw BuildFailure("Could not create directory to log installed files to '\(directory)'.")
        }
        variables["loginstall"] = (directory as NSString).resolvingSymlinksInPath
    }

    /// --enhanced-cpio asks for dracut-cpio's reflink-aligned archive. dracut ignores it when its
    /// dracut-cpio is missing (as on Debian 12), and so does Kindling; with dracut-cpio present
    /// dracut's archive layout cannot be matched, so Kindling refuses rather than differ.
    private func checkEnhancedCpio() throws {
        guard variables["enhanced_cpio"] == "yes" else { return }
        let tool = (variables["dracutbasedir"] ?? "/usr/lib/dracut") + "/dracut-cpio"
        guard access(tool, X_OK) != 0 else {
            throw BuildFailure("--enhanced-cpio: Kindling cannot write the archive \(tool) would write")
        }
        logger.info("--enhanced-cpio ignored due to lack of dracut-cpio")
        variables.remove("enhanced_cpio")
    }

    /// The tools dracut names in variables for modules: ldd, ldconfig, its installer and test binary,
    /// each taken from the environment when set there.
    private func setToolVariables() {
        let environment = currentEnvironment()
        for (name, fallback) in [("DRACUT_LDD", "ldd"), ("DRACUT_LDCONFIG", "ldconfig"), ("DRACUT_TESTBIN", "/bin/sh")] {
            variables[name] = environment[name].flatMap { $0.isEmpty ? nil : $0 } ?? fallback
        }
        if let installer = environment["DRACUT_INSTALL"], !installer.isEmpty {
            variables["DRACUT_INSTALL"] = installer
        } else if let found = Self.dracutInstall(path: environment["PATH"] ?? "",
                                                 baseDirectory: variables["dracutbasedir"] ?? "/usr/lib/dracut") {
            variables["DRACUT_INSTALL"] = found
        }
    }

    /// dracut-install on PATH, else in dracut's base directory, as dracut-init.sh looks for it.
    static func dracutInstall(path: String, baseDirectory: String) -> String? {
        let candidates = path.split(separator: ":").map { "\($0)/dracut-install" }
            + [baseDirectory + "/dracut-install", baseDirectory + "/src/install/dracut-install"]
        return candidates.first { access($0, X_OK) == 0 }
    }

    /// Hostonly: the host's kernel modules in $DRACUT_KERNEL_MODALIASES (kept when the environment
    /// names an existing file), which modules such as nvdimm read.
    private func writeKernelModaliases(_ kernelModules: KernelModuleHelpers, staging: StagingDirectory) throws {
        if let given = currentEnvironment()["DRACUT_KERNEL_MODALIASES"], !given.isEmpty,
           FileManager.default.fileExists(atPath: given) {
            variables["DRACUT_KERNEL_MODALIASES"] = given
            return
        }
        let path = staging.path + "/modaliases"
        do {
            try kernelModules.hostModuleList().write(toFile: path, atomically: false, encoding: .utf8)
        } catch {
            throw BuildFailure("cannot write \(path): \(error.localizedDescription)")
        }
        variables["DRACUT_KERNEL_MODALIASES"] = path
    }

    /// Strict hostonly: the image keeps the host's module list, so it can refuse other modules at boot.
    private func copyStrictHostModules() throws {
        guard variables["hostonly_mode"] == "strict", let list = variables["DRACUT_KERNEL_MODALIASES"] else { return }
        let destination = variables["initdir"]! + "/lib/dracut/hostonly-kernel-modules.txt"
        try? FileManager.default.removeItem(atPath: destination)
        do {
            try FileManager.default.copyItem(atPath: list, toPath: destination)
        } catch {
            throw BuildFailure("cannot copy \(list) to \(destination): \(error.localizedDescription)")
        }
    }

    /// --noimageifnotneeded with hostonly: no image when no kernel module, no initqueue and no
    /// command line went in, as dracut decides after depmod.
    private func imageIsNotNeeded() -> Bool {
        guard variables["noimageifnotneeded"] == "yes", configuration.hostonly else { return false }
        let root = variables["initdir"]!
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: root + "/lib/dracut/need-initqueue") { return false }
        let dependencies = root + "/lib/modules/\(configuration.kernelVersion)/modules.dep"
        guard let attributes = try? fileManager.attributesOfItem(atPath: dependencies),
              attributes[.type] as? FileAttributeType == .typeRegular,
              (attributes[.size] as? NSNumber)?.intValue == 0 else { return false }
        let commandLines = (try? fileManager.contentsOfDirectory(atPath: root + "/etc/cmdline.d")) ?? []
        return !commandLines.contains { $0.hasSuffix(".conf") && !$0.hasPrefix(".") }
    }

    private var driverOptions: DriverOptions {
        DriverOptions(drivers: variables.words("drivers"), addDrivers: variables.words("add_drivers"),
                      forceDrivers: variables.words("force_drivers"), filesystems: variables.words("filesystems"),
                      omitDrivers: variables.words("omit_drivers"))
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
        // Written where the image's own paths lead: module code may have made symlinks in it.
        try writeImageFile("/lib/dracut/modules.txt", loaded.map { $0 + "\n" }.joined(), installer: helpers.installer)
        credit(.engine("modules.txt"))
        logger.info("*** Including modules done ***")
    }

    /// --drivers, --add-drivers, --force-drivers and --filesystems, then depmod's index of all.
    private func installKernelDrivers(_ tools: Tools) throws {
        try copyStrictHostModules()
        try tools.kernelModules.installDrivers(tools.drivers)
        credit(.engine("drivers named by --drivers, --add-drivers, --force-drivers, --filesystems"))
        logger.info("*** Installing kernel module dependencies ***")
        try tools.kernelModules.writeModuleIndex()
        credit(.engine("kernel module index (depmod)"))
        logger.info("*** Installing kernel module dependencies done ***")
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
            credit(.engine("install_items (-I, --install-optional)"))
            let fstab = try HostDevices.fstabLines(variables)
            if !fstab.isEmpty {
                try appendLine(fstab.joined(separator: "\n"), to: "/etc/fstab", installer: installer)
            }
            try appendFstabFiles(to: "/etc/fstab", installer: installer)
            if variables.has("kernel_cmdline") {
                try appendLine(variables["kernel_cmdline"]!, to: "/etc/cmdline.d/01-default.conf", installer: installer)
            }
            try writeSystemdConfiguration(root: root, installer: installer)
            credit(.engine("fstab, kernel command line and systemd settings"))
            if lazy {
                // dracut's lazy pass runs dracut-install without -L: what it adds is not logged.
                let installLog = installer.installLog
                installer.installLog = nil
                defer { installer.installLog = installLog }
                logger.info("*** Resolving executable dependencies ***")
                try installer.resolveInstalledExecutables { executable in
                    // A library is credited to the module of the first program that needs it.
                    let owner = recorder?.provenance(of: RawPath(String(executable.dropFirst())))?.module ?? "kindling"
                    credit(Provenance(module: owner, step: "needed by \(executable)"))
                }
                logger.info("*** Resolving executable dependencies done ***")
            }
            installer.resolvesEagerly = true
        }
        for include in configuration.includes {
            try Includes(installer: installer, logger: logger).include(include.source, at: include.target)
            credit(.engine("--include \(include.source) \(include.target)"))
        }
        for directory in LibraryDirectories.loaderCacheDirectories(sysroot: sysroot) {
            removeEmptyDirectories(root + directory, stoppingAt: root)
        }
        // As bytes: a parameter may name a file whose name is not UTF-8.
        try writeImageFile("/lib/dracut/build-parameter.txt", configuration.storedParameters + "\n", installer: installer)
        if !configuration.kernelOnly {
            // As dracut does for libpthread users: glibc loads libgcc_s at run time for thread cancellation.
            // `builtin`: module code may have defined functions named break and continue (see the shim's header).
            try shell.evaluate("""
                for __d in ${libdirs-}; do
                    for __f in "${dracutsysrootdir-}$__d"/libpthread.so*; do
                        [[ -e $__f ]] || builtin continue
                        inst_libdir_file 'libgcc_s.so*'
                        builtin break 2
                    done
                done
                """, handler: helpers)
            credit(.engine("build-parameter.txt, libgcc_s for libpthread"))
            try LoaderCacheBuilder(installer: installer, sysroot: sysroot, logger: logger).build()
        }
        credit(.engine("build-parameter.txt, loader cache"))
    }

    /// Credits the paths that appeared since the last step to `provenance`, for --explain.
    private func credit(_ provenance: Provenance) {
        recorder?.attributeNewPaths(to: provenance)
    }

    private func runHelper(_ shell: BashSession, _ helpers: DracutHelpers, _ words: [String]) throws {
        _ = try shell.evaluate(words.map(shellQuote).joined(separator: " "), handler: helpers)
    }

    private func writeSystemdConfiguration(root: String, installer: FileInstaller) throws {
        guard let utilities = variables["systemdutildir"], !(sysroot + utilities).isEmpty else { return }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: try installer.imageFilePath(utilities), isDirectory: &isDirectory),
            isDirectory.boolValue
        else { return }
        let text = ["systemdutildir", "systemdsystemunitdir", "systemdsystemconfdir"]
            .map { "\($0)=\"\(variables[$0] ?? "")\"\n" }.joined()
        try writeImageFile("/etc/conf.d/systemd.conf", text, installer: installer)
    }

    /// Replaces the image file `path` with `text` (bytes: it may name files that are not UTF-8),
    /// making its directory first, all through the image's own paths.
    private func writeImageFile(_ path: String, _ text: String, installer: FileInstaller) throws {
        try installer.installDirectory((path as NSString).deletingLastPathComponent)
        let file = try installer.imageFilePath(path)
        guard FileManager.default.createFile(atPath: file, contents: Data(PathBytes.bytes(text))) else {
            throw BuildFailure("cannot write \(file)")
        }
    }

    /// --add-fstab: each file goes into the image's fstab as it is; a missing one is reported and skipped.
    private func appendFstabFiles(to imageFile: String, installer: FileInstaller) throws {
        for file in variables.words("add_fstab") {
            guard let contents = FileManager.default.contents(atPath: file) else {
                logger.error("cannot read the --add-fstab file \(file)")
                continue
            }
            try installer.installDirectory((imageFile as NSString).deletingLastPathComponent)
            let path = try installer.imageFilePath(imageFile)
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw BuildFailure("cannot append to \(path): \(systemErrorDescription())") }
            defer { close(fd) }
            guard writeAll(fd: fd, Array(contents)) else { throw BuildFailure("cannot append to \(path): \(systemErrorDescription())") }
        }
    }

    private func appendLine(_ line: String, to imageFile: String, installer: FileInstaller) throws {
        try installer.installDirectory((imageFile as NSString).deletingLastPathComponent)
        let existing = (try? String(contentsOfFile: try installer.imageFilePath(imageFile), encoding: .utf8)) ?? ""
        try writeImageFile(imageFile, existing + line + "\n", installer: installer)
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

    private func writeImage(root: String, earlyRoot: String?, to output: String, compressor: Compressor?) throws {
        try Cancellation.shared.checkpoint()
        guard let compressor else { throw BuildFailure("the preflight did not resolve the compressor") }
        logger.info("*** Creating image file '\(output)' ***")
        var entries = try TreeScanner(root: root).entries()
        if variables["do_hardlink"] == "yes" { try ArchivePolish.linkIdenticalFiles(&entries) }
        if let recorder, let explainPath = configuration.explainPath {
            try writeExplanation(ProvenanceReport(entries: entries, recorder: recorder, imageName: output), to: explainPath)
        }
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

    private func writeExplanation(_ report: ProvenanceReport, to path: String) throws {
        let file = try AtomicFile(replacing: path, permissions: 0o644)
        guard writeAll(fd: file.fileDescriptor, report.render()) else {
            throw BuildFailure("cannot write the --explain report \(path): \(systemErrorDescription())")
        }
        try file.commit()
        logger.info("*** Wrote where each file came from to '\(path)' ***")
    }
}
