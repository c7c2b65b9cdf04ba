#if canImport(Glibc)
import Glibc
#endif
import Configuration
import Foundation
import Installer
import ModuleGraph
import ShellBridge
import Support

public enum KindlingVersion {
    public static let version = "0.1.0"
}

/// The `kindling` command: reads the command line and the configuration, then builds.
public enum KindlingCommand {
    /// Runs the command and returns its exit status.
    public static func run(arguments: [String], executable: String) -> Int32 {
        let logger = Logger(level: .info)
        // dracut exports a PATH of its own; with none at all (`env -i`), the tools a build runs
        // (ldconfig, strip, a compressor) are looked for where systems install them.
        if (getenv("PATH").map { String(cString: $0) } ?? "").isEmpty {
            setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1)
        }
        let environment = currentEnvironment()
        guard let data = DataDirectory.locate(executable: executable, environment: environment) else {
            writeStandardError("kindling: cannot find the shim and modules.d (set KINDLING_DATADIR)\n")
            return 1
        }
        Cancellation.shared.install()
        do {
            let loader = ConfigurationLoader(environment: environment, ownModules: data.modules, kernelRelease: kernelRelease)
            let started = PhaseTimer.now()
            let rebuild = try RebuildRequest(arguments: arguments)
            let configuration = try loader.load(
                arguments: try rebuild?.arguments(adding: arguments) ?? arguments,
                logger: logger)
            var settings = configuration.settings
            if let rebuild, let output = settings?.outputPath, rebuild.overwritesImage(output) {
                settings?.overwriteExistingImage()
            }
            if let settings { logger.level = settings.log.level }
            // The level comes from the configuration, so this phase's line waits until it is known.
            let configurationTime = PhaseTimer.line("Reading the configuration", since: started)
            switch configuration.action {
            case .help:
                writeStandardOutput(Usage.text)
                return 0
            case .version:
                writeStandardOutput("kindling \(KindlingVersion.version) (dracut \(DracutRelease.compatible.version) compatible)\n")
                return 0
            case .listModules:
                let catalog = ModuleCatalog(searchPath: settings?.moduleSearchPath ?? [])
                let lines = catalog.modules.map { configuration.verboseListing ? "\($0.name)\t\($0.directory)" : $0.name }
                writeStandardOutput(lines.map { $0 + "\n" }.joined())
                return 0
            case .regenerateAll(let regeneration):
                let kernels = try Regeneration.kernels(sysroot: regeneration.sysroot)
                return KernelRegeneration(
                    regeneration: regeneration, kernels: kernels, executable: executable,
                    logger: logger
                ).run()
            case .printConfiguration:
                guard let settings else { throw BuildFailure("the configuration gave no settings to print") }
                // dracut-ng checks the kernel's module directory before it prints.
                if !settings.noKernel { _ = try KernelModuleDirectory.checkContents(of: settings.paths.kernelModules) }
                writeStandardOutput(PrintedConfiguration(settings: settings).text)
                return 0
            case .build, .printCommandLine:
                guard let settings else { throw BuildFailure("the configuration gave no settings to build with") }
                if let logfile = settings.log.file {
                    try attachLogFile(logfile, level: settings.log.fileLevel, to: logger)
                }
                // dracut's sysloglvl (0, the default, for none): the lines at that level go to syslog.
                if let level = settings.log.systemLogLevel {
                    logger.addSink(upTo: level) { level, line in SystemLog.write(level, line) }
                }
                // kmsgloglvl, as dracut: root's builds only, and not for --print-cmdline.
                if let level = settings.log.kernelLogLevel, configuration.action == .build, geteuid() == 0 {
                    if let kernelLog = KernelLog() {
                        logger.addSink(upTo: level) { level, line in kernelLog.write(level, line) }
                    } else {
                        logger.warning("'/dev/kmsg' not writable. Disabling logging to kernel ring buffer.")
                    }
                }
                logger.info("Executing: \(([executable] + arguments).joined(separator: " "))")
                logger.debug(configurationTime)
                let progress = BuildProgress()
                var build = ImageBuild(
                    configuration: configuration, settings: settings, data: data, probes: .live(),
                    logger: logger, progress: progress)
                build.endsTheProcess = true
                try progress.shownOnTerminal(logger: logger, environment: environment) { try build.run() }
                return 0
            }
        } catch let failure as BuildFailure {
            logger.fatal(failure.description)
            return failure.exitStatus
        } catch let failure as BashSessionError {
            // A signal stops the module shell too: the signal is the cause, not the shell's end.
            if let signal = Cancellation.shared.receivedSignal {
                logger.fatal("interrupted by signal \(signal)")
                return 128 + signal
            }
            logger.fatal(failure.description)
            return failure.exitStatus
        } catch {
            // A signal stops what the build waited for (the configuration's bash, a tool): it is the cause.
            if let signal = Cancellation.shared.receivedSignal {
                logger.fatal("interrupted by signal \(signal)")
                return 128 + signal
            }
            logger.fatal("\(error)")
            return 1
        }
    }

    private static func kernelRelease() -> String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// dracut's log file: appended to, one `LETTER: message` line per message at `level` or below.
    private static func attachLogFile(_ path: String, level: LogLevel, to logger: Logger) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BuildFailure("cannot open the log file \(path): \(systemErrorDescription())") }
        logger.addSink(upTo: level) { level, line in writeAll(fd: fd, Array("\(level.letter): \(line)\n".utf8)) }
    }
}
