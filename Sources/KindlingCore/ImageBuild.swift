#if canImport(Glibc)
import Glibc
#endif
import Archive
import Configuration
import Foundation
import Installer
import StagedTree
import Support

/// One build, from the settings to an image file: the phases in the order data flows through them.
struct ImageBuild {
    let configuration: BuildConfiguration
    private(set) var settings: BuildSettings
    /// Kindling's shim and modules.
    let data: DataDirectory
    /// The host, as the build may look at it.
    let probes: HostProbes
    let logger: Logger
    /// Where the phases report what they have done (the status line on a terminal reads it).
    let progress: BuildProgress
    /// The process ends after this build: its objects are left to the exit (`ProcessLifetime`).
    var endsTheProcess = false

    init(
        configuration: BuildConfiguration, settings: BuildSettings, data: DataDirectory, probes: HostProbes,
        logger: Logger, progress: BuildProgress = BuildProgress()
    ) {
        self.configuration = configuration
        self.settings = settings
        self.data = data
        self.probes = probes
        self.logger = logger
        self.progress = progress
        if settings.hostonly != nil, let directory = probes.unmountedHostDirectory(settings.dracut.hostonlyNeedsMounted) {
            logger.warning("Turning off host-only mode: '\(directory)' is not mounted!")
            self.settings.turnOffHostonly()
        }
    }

    func run() throws {
        let writesImage = configuration.action == .build
        // Everything that can be checked is, before anything is locked, written or run.
        progress.enter("Checking the settings")
        let checked = try BuildPreflight(
            settings: settings, configuration: configuration, probes: probes,
            logger: logger
        ).run()
        // The lock may be another build's for minutes (--lock-timeout): the line says so.
        progress.enter("Preparing the output directory")
        let prepared = try OutputPreparation(settings: settings, leftoverCutoff: probes.leftoverCutoff, logger: logger)
            .run(writesImage: writesImage, directory: checked.outputDirectory)
        defer { prepared.lock?.release() }
        progress.enter("Starting the module shell")
        let enhancedCpio = checkEnhancedCpio()
        let staging = try makeStagingDirectory(in: checked.temporaryParent)
        defer {
            if staging.keep { logger.info("Not removing \(staging.path).") }
            staging.remove()
        }
        var environment = BuildEnvironment(
            settings: settings, probes: probes, temporaryDirectory: staging.path,
            imageRoot: staging.imageRoot)
        environment.installLogDirectory = prepared.installLogDirectory ?? environment.installLogDirectory
        environment.exportsEnhancedCpio = enhancedCpio != nil
        environment.programsDirectory = data.programs
        let context = try BuildContext(
            configuration: configuration, environment: environment, staging: staging,
            shim: data.shim, logger: logger, progress: progress)
        var succeeded = false
        defer {
            context.close()
            if succeeded && endsTheProcess { ProcessLifetime.keepUntilExit(context) }
        }
        // The image's large files are compressed while modules run, on the core the shell leaves idle.
        let advance = enhancedCpio == nil ? try checked.compressor?.method.makeAdvanceDeflation() : nil
        defer { advance?.shutDown() }
        let feed = advance.map { AdvanceDeflationFeed(advance: $0, libraries: context.libraries) }
        feed?.attach(to: context.installer)
        context.helpers.onBinaryFound = feed?.guess

        let timer = PhaseTimer(logger: logger, progress: progress)
        let modules = ModuleInstallation(context: context)
        let selected = try timer.measure("Selecting modules (check and depends)") { try modules.select() }
        context.helpers.onBinaryFound = nil
        // What the systemd and udev modules' installs will ask the host, asked while they start.
        let names = Set(selected.map(\.name))
        if names.contains("systemd") { HostAnswers.shared.prefetch([.systemUnitSearchPath]) }
        if names.contains("udev-rules") { HostAnswers.shared.prefetch([.udevVersion]) }
        try Cancellation.shared.checkpoint()
        if configuration.action == .printCommandLine {
            let commandLine = try modules.commandLine(of: selected)
            progress.withLineCleared { writeStandardOutput(commandLine) }
            return
        }

        try BaseLayout(
            installer: context.installer, prefix: settings.paths.prefix,
            libraryDirectories: environment.libraryDirectories, hookDirectories: settings.paths.hookDirectoryNames,
            sysroot: settings.sysroot, hookRoot: settings.dracut.hookDirectory,
            linksOldHookDirectory: settings.dracut.linksOldHookDirectory
        ).create(kernelOnly: settings.kernelOnly)
        context.credit(.engine("base layout"))
        let squashLib = SquashLibPass(context: context, selected: selected)
        try squashLib?.createDirectory()
        try timer.measure("Installing modules") { try modules.install(selected) }
        var moduleIndex: ModuleIndexRun?
        // On every way out: depmod writes into the staging directory.
        defer { try? moduleIndex?.finish() }
        // The image may be written while depmod runs when nothing between reads or changes the
        // whole tree: no squash image, no remove_items, no dracut-cpio. Its modules are stripped then
        // before depmod reads them, not after, which leaves depmod's index as it was; only when no
        // module can come after depmod starts (--include, -I and the like may bring some).
        let writesWhileIndexing =
            enhancedCpio == nil && settings.contents.removedPaths.isEmpty
            && !selected.contains { $0.name == "squash" || $0.name == "squash-lib" }
        let stripper = { (scope: Stripper.Scope) in
            Stripper(imageRoot: staging.imageRoot, aggressive: settings.image.aggressiveStrip, logger: logger, scope: scope)
        }
        let drivers = settings.noKernel ? nil : KernelDriverInstallation(context: context)
        let stripsModulesFirst =
            writesWhileIndexing && settings.image.strip && drivers?.indexMayOverlapFinishing == true
        if let drivers {
            moduleIndex = try timer.measure("Installing kernel drivers and their index") {
                try drivers.run(beforeIndex: stripsModulesFirst ? { try stripper(.kernelModules).run() } : nil)
            }
            if drivers.imageIsNotNeeded {
                logger.debug("Hostonly image without kernel modules, initqueue or command line: not writing \(settings.outputPath)")
                return
            }
        }
        try timer.measure("Finishing the image tree") { try TreeFinishing(context: context).run() }
        let indexStillWriting: IndexStillWriting? =
            writesWhileIndexing ? moduleIndex.flatMap(runningIndex) : nil
        if let moduleIndex, indexStillWriting == nil { try timer.measure("Waiting for depmod") { try moduleIndex.finish() } }
        if indexStillWriting != nil { logger.debug("depmod still writes the module index: the image is written meanwhile") }
        let squash = try SquashPass(context: context, selected: selected)
        // A squash image is compressed on its own: no file of the tree is gzipped in the archive.
        if squash != nil || squashLib != nil { advance?.stopPreparing() }
        if let squash { try timer.measure("Installing the squash loader") { try squash.installLoader() } }
        if settings.image.strip {
            try timer.measure("Stripping") { try stripper(stripsModulesFirst ? .allButKernelModules : .everything).run() }
        }
        if let squash { try timer.measure("Squashing the tree") { try squash.squashTree() } }
        if let squashLib { try timer.measure("Squashing the tree (squash-lib)") { try squashLib.run() } }
        try RemovedPaths(settings.contents.removedPaths, imageRoot: staging.imageRoot, logger: logger).remove()
        guard let resolved = checked.compressor else { throw BuildFailure("the preflight did not resolve the compressor") }
        // The squash image is compressed already: dracut (059 and dracut-ng) writes the archive
        // around it as it is.
        let compressor = squash == nil && squashLib == nil ? resolved : .uncompressed
        // A UEFI executable holds the archive: it is written into the staging directory first.
        let archive = checked.uefi == nil ? settings.outputPath : staging.path + "/initramfs.img"
        // The image itself, as dracut syncs it; an archive staged for a UEFI executable never.
        let syncsOutput = ImageSync.isNeeded(sysroot: settings.sysroot)
        try timer.measure("Writing the image") {
            try ImageWriting(
                context: context, compressor: compressor, shim: data.shim,
                linksIdenticalFiles: settings.image.hardlink && squash == nil, destination: archive,
                syncsDestination: syncsOutput && checked.uefi == nil, enhancedCpio: enhancedCpio, advance: advance,
                removesWrittenFiles: checked.uefi == nil && !staging.keep, indexStillWriting: indexStillWriting
            ).run()
        }
        if let uefi = checked.uefi {
            try timer.measure("Writing the UEFI executable") {
                try UnifiedKernelImageBuild(
                    inputs: uefi, initramfs: archive, imageRoot: staging.imageRoot,
                    kernelCommandLine: settings.contents.kernelCommandLine, output: settings.outputPath,
                    syncsOutput: syncsOutput, temporaryDirectory: staging.path,
                    logger: logger
                ).run()
            }
        }
        succeeded = true
    }

    /// depmod's run, while it runs, with the place of its files in the image.
    private func runningIndex(_ run: ModuleIndexRun) -> IndexStillWriting? {
        guard run.isRunning, let directory = run.directory else { return nil }
        let files = DeferredFiles(directory: RawPath(bytes: PathBytes.bytes(directory)), namePrefix: "modules.")
        return IndexStillWriting(files: files) { try run.finish() }
    }

    /// The build's own directory under --tmpdir, after removing those of builds that were killed.
    private func makeStagingDirectory(in parent: String) throws -> StagingDirectory {
        for leftover in StagingDirectory.removeAbandoned(in: parent, changedBefore: probes.leftoverCutoff) {
            logger.info("Removed \(leftover), left by a build that was killed")
        }
        let staging = try StagingDirectory(parent: parent)
        staging.keep = configuration.keepTemporaryDirectory
        return staging
    }

    /// --enhanced-cpio asks for dracut-cpio's reflink-aligned archive. dracut 059 and dracut-ng
    /// ignore it when their dracut-cpio is missing (as on Debian 12), and so does Kindling; with it
    /// present, they write the archive with it, and so does Kindling (`DracutCpioArchive`).
    /// Returns the tool, nil when the archive is Kindling's own.
    private func checkEnhancedCpio() -> DracutCpioArchive? {
        guard settings.image.enhancedCpio else { return nil }
        let tool = settings.paths.dracutBaseDirectory + "/dracut-cpio"
        guard access(tool, X_OK) == 0 else {
            logger.info("--enhanced-cpio ignored due to lack of dracut-cpio")
            return nil
        }
        return DracutCpioArchive(tool: tool)
    }
}
