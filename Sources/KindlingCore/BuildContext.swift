import Configuration
import Foundation
import Installer
import ModuleGraph
import ShellBridge
import StagedTree
import Support

/// What every phase of a build works with: the settings, the staged tree, what installs into it
/// and the one module shell. Made once the staging directory exists; `close()` stops the shell.
final class BuildContext {
    /// The command line's own requests (--include, --explain, --explain-svg, --printsize...).
    let configuration: BuildConfiguration
    /// The variables modules see, this build's included.
    let environment: BuildEnvironment
    let staging: StagingDirectory
    var settings: BuildSettings { environment.settings }
    /// Installs files, with their libraries, into the staged tree.
    let installer: FileInstaller
    /// The installer's ELF dependency resolver; it may be asked from any thread.
    let libraries: LibraryResolver
    /// Answers the dracut helpers that module code calls.
    let helpers: DracutHelpers
    /// The build's kernel modules, shared by the module helpers and the driver phase.
    let kernelModules: KernelModuleSession
    /// The one bash every module function runs in.
    let shell: BashSession
    /// The syntax of the module-setup.sh files: the module path's checked by another bash while
    /// this one is prepared, any other module's when it is declared.
    let moduleSyntax: ModuleSyntaxCheck
    /// Runs module functions in the shell, crediting what they add for --explain.
    private(set) lazy var runner: ShellModuleRunner = {
        let runner = ShellModuleRunner(shell: shell, helpers: helpers)
        runner.recorder = recorder
        return runner
    }()
    /// With --explain or --explain-svg: which step put each path into the tree.
    let recorder: ProvenanceRecorder?
    /// For a kdump build: which capture image module selection chose, for build-parameter.txt
    /// and --explain.
    var kdumpImage: KdumpImagePlan?
    let logger: Logger
    /// What the build has done, for the status line on a terminal.
    let progress: BuildProgress

    init(
        configuration: BuildConfiguration, environment: BuildEnvironment, staging: StagingDirectory,
        shim: String, logger: Logger, progress: BuildProgress
    ) throws {
        var environment = environment
        let settings = environment.settings
        self.configuration = configuration
        self.staging = staging
        self.logger = logger
        self.progress = progress
        // Whether the host is a container (device nodes) and a virtual machine (module checks):
        // asked now, so that the answers are there when the build comes to them.
        HostAnswers.shared.prefetch([.container, .virtualMachine])
        let searchPath = settings.moduleSearchPath
        moduleSyntax = ModuleSyntaxCheck(scratch: staging.path + "/module-syntax.sh") {
            ModuleCatalog(searchPath: searchPath).modules.map(\.setupScript)
        }
        recorder = configuration.explains ? ProvenanceRecorder(root: staging.imageRoot) : nil
        libraries = LibraryResolver(sysroot: settings.sysroot)
        installer = FileInstaller(
            sysroot: settings.sysroot, imageRoot: staging.imageRoot, searchPath: environment.searchPath,
            resolver: libraries, resolvesEagerly: !environment.resolvesLazily,
            logger: logger)
        helpers = DracutHelpers(installer: installer, context: environment.helperContext, logger: logger)
        kernelModules = KernelModuleSession(
            settings: environment.kernelModuleSettings, imageInstaller: installer, logger: logger)
        kernelModules.onModuleInstall = progress.kernelModuleInstalled
        KernelModuleHelpers(session: kernelModules, logger: logger).register(in: helpers)
        if let directory = environment.installLogDirectory {
            installer.installLog = try InstallLog(directory: directory)
        }
        if settings.hostonly != nil {
            environment.kernelModaliases = try Self.writeKernelModaliases(
                environment.probes, kernelModules, in: staging.path)
        }
        self.environment = environment
        shell = try BashSession(shimPath: shim, environment: environment.shellEnvironment, logger: logger)
        shell.callTimeout = settings.moduleTimeout
        Cancellation.shared.watch(shell.processIdentifier)
        do {
            try prepareShell()
        } catch {
            close()
            throw error
        }
    }

    func close() {
        Cancellation.shared.watch(nil)
        shell.terminate()
    }

    /// dracut's variables in the shell every module runs in, and the host's devices found there,
    /// with the same helpers modules use to look at them.
    private func prepareShell() throws {
        let hostDevices = HostDevices(
            contents: settings.contents, logger: logger, separatesUserDevices: settings.dracut.flavour == .dracutNG)
        try shell.evaluate(environment.declarations + "\n" + hostDevices.declarations, handler: helpers)
        try shell.evaluate("__kindling_find_host_devices", handler: helpers)
        if let helper = helpers.unsupportedCall {
            throw BuildFailure("finding the host's devices needs \(helper), which Kindling does not implement yet")
        }
    }

    /// Hostonly: the host's kernel modules in $DRACUT_KERNEL_MODALIASES (kept when the environment
    /// names an existing file), which modules such as nvdimm read.
    private static func writeKernelModaliases(
        _ probes: HostProbes, _ kernelModules: KernelModuleSession, in directory: String
    ) throws -> String {
        if let given = probes.variable("DRACUT_KERNEL_MODALIASES"), FileManager.default.fileExists(atPath: given) {
            return given
        }
        let path = directory + "/modaliases"
        let list = probes.kernelModules.map { $0.map { $0 + "\n" }.joined() } ?? kernelModules.hostModuleList()
        do {
            try list.write(toFile: path, atomically: false, encoding: .utf8)
        } catch {
            throw BuildFailure("cannot write \(path): \(error.localizedDescription)")
        }
        return path
    }

    /// Credits the paths that appeared since the last step to `provenance`, for --explain.
    func credit(_ provenance: Provenance) {
        recorder?.attributeNewPaths(to: provenance)
    }

    /// Runs a dracut helper in the module shell, as module code would.
    func runHelper(_ words: [String]) throws {
        _ = try shell.evaluate(words.map(shellQuote).joined(separator: " "), handler: helpers)
    }

    /// Replaces the image file `path` with `text` (bytes: it may name files that are not UTF-8),
    /// making its directory first, all through the image's own paths.
    func writeImageFile(_ path: String, _ text: String) throws {
        try installer.installDirectory((path as NSString).deletingLastPathComponent)
        let file = try installer.imageFilePath(path)
        guard replaceFile(file, with: PathBytes.bytes(text)) else {
            throw BuildFailure("cannot write \(file): \(systemErrorDescription())")
        }
    }
}
