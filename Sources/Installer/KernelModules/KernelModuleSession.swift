#if canImport(Glibc)
import Glibc
#endif
import Support

/// What the build's kernel module steps need to know about it.
public struct KernelModuleSettings: Sendable {
    /// --no-kernel: instmods and dracut_instmods do nothing, require_kernel_modules succeeds.
    public var noKernel: Bool
    public var sysroot: String
    /// The kernel the image is for; its modules go to /lib/modules/KERNELVERSION in the image.
    public var kernelVersion: String
    /// dracut's $srcmods: --kmoddir, or SYSROOT/lib/modules/KVER (see KernelModuleDirectory.path).
    public var moduleDirectory: String
    /// dracut's $fw_dir words: host directories searched for firmware, in order.
    public var firmwareDirectories: [String]
    /// dracut's $omit_drivers after its rewriting into `^a$|^b$` (DriverOptions.omitPattern); empty for none.
    public var omittedDriversPattern: String
    /// The modules a hostonly call may install; nil computes them from this host (/proc/modules
    /// and /sys/devices modaliases) the first time a call is hostonly.
    public var hostModules: Set<String>?
    /// modprobe.d directories for aliases and softdeps; nil takes libkmod's defaults (the host's
    /// /etc/modprobe.d, /lib/modprobe.d, ...), as dracut-install does.
    public var modprobeConfiguration: [String]?

    public init(
        noKernel: Bool, sysroot: String, kernelVersion: String, moduleDirectory: String,
        firmwareDirectories: [String], omittedDriversPattern: String = "", hostModules: Set<String>? = nil,
        modprobeConfiguration: [String]? = nil
    ) {
        self.noKernel = noKernel
        self.sysroot = sysroot
        self.kernelVersion = kernelVersion
        self.moduleDirectory = moduleDirectory
        self.firmwareDirectories = firmwareDirectories
        self.omittedDriversPattern = omittedDriversPattern
        self.hostModules = hostModules
        self.modprobeConfiguration = modprobeConfiguration
    }
}

/// The build's kernel modules: one KernelModuleInstaller shared by the module helpers and the
/// engine's own steps (the command line's drivers, depmod's index), so each module is resolved and
/// copied once. The libkmod context is opened on first use, so a --no-kernel build never touches
/// the module directory.
public final class KernelModuleSession {
    public let settings: KernelModuleSettings
    private let imageInstaller: FileInstaller
    private let logger: Logger
    private var opened: Result<KernelModuleInstaller, KernelModuleError>?
    /// The module files of the last index written (dracut_kernel_post), so an unchanged tree is not
    /// indexed twice.
    private var indexedModules: [String]?
    private var hostModules: Set<String>?
    /// Called after each kernel module is copied into the image, for the build's status line.
    public var onModuleInstall: (() -> Void)?

    public init(settings: KernelModuleSettings, imageInstaller: FileInstaller, logger: Logger) {
        self.settings = settings
        self.imageInstaller = imageInstaller
        self.logger = logger
        hostModules = settings.hostModules
    }

    /// The tree this session installs into.
    public var imageRoot: String { imageInstaller.imageRoot }

    /// Runs `body`, which only installs, with the image's directories resolved once each.
    public func rememberingDirectories<Result>(_ body: () throws -> Result) rethrows -> Result {
        try imageInstaller.rememberingDirectories(body)
    }

    // MARK: The engine's steps

    /// After the modules: -d drivers, --add-drivers, --force-drivers (with their rd.driver.pre=
    /// lines) and --filesystems, all with hostonly off. As in dracut, a missing module is logged
    /// but does not fail the build; only writing the cmdline file can throw.
    public func installDrivers(_ options: DriverOptions) throws {
        guard !settings.noKernel else { return }
        if !options.drivers.isEmpty { install(options.drivers, checked: false, silent: false, hostonly: false) }
        if !options.addDrivers.isEmpty { install(options.addDrivers, checked: true, silent: false, hostonly: false) }
        if !options.forceDrivers.isEmpty {
            install(options.forceDrivers, checked: true, silent: false, hostonly: false)
            try writeForcedDriverLines(options.forceDrivers)
        }
        if !options.filesystems.isEmpty { install(options.filesystems, checked: true, silent: false, hostonly: false) }
    }

    /// dracut_kernel_post: the kernel's builtin lists into the image and depmod over what is there.
    public func writeModuleIndex() throws(KernelModuleError) {
        try startModuleIndex().finish()
    }

    /// As `writeModuleIndex`, with depmod still running when this returns: the caller finishes
    /// the run before anything reads the module directory or adds to it.
    public func startModuleIndex() throws(KernelModuleError) -> ModuleIndexRun {
        let run = try ModuleIndexWriter(
            moduleDirectory: settings.moduleDirectory, kernelVersion: settings.kernelVersion,
            imageInstaller: imageInstaller, logger: logger
        ).start(unlessModulesAre: indexedModules)
        run.onSuccess = { [weak self] modules in self?.indexedModules = modules }
        return run
    }

    /// The tree was emptied behind the session's back (squash's loader moves it into
    /// squash/root): the modules, firmware and directories it installed are gone, so the next
    /// call starts from a fresh installer, as each dracut-install run does.
    public func forgetInstalledModules() {
        opened = nil
        indexedModules = nil
    }

    /// The build's module installer, opened on first use; nil (after logging why, once) when the
    /// module directory cannot be used.
    public func moduleInstaller() -> KernelModuleInstaller? {
        if opened == nil {
            opened = Result { () throws(KernelModuleError) in
                let index = try KernelModuleIndex(
                    directory: settings.moduleDirectory,
                    configurationPaths: settings.modprobeConfiguration, logger: logger)
                let installer = KernelModuleInstaller(
                    index: index, kernelVersion: settings.kernelVersion,
                    firmwareDirectories: settings.firmwareDirectories,
                    imageInstaller: imageInstaller, logger: logger)
                installer.onInstall = onModuleInstall
                return installer
            }
            // Under --no-kernel only check_kernel_module gets here, and a missing directory is its answer.
            if case .failure(let error) = opened { logger.log(settings.noKernel ? .debug : .error, error.description) }
        }
        return try? opened?.get()
    }

    /// What `dracut-install --modalias` prints for dracut's $DRACUT_KERNEL_MODALIASES: the host's
    /// modules (loaded, or named by a device's modalias), one a line; nothing when the module
    /// directory cannot be read. dracut prints them in hash order, Kindling sorted.
    public func hostModuleList() -> String {
        guard let installer = moduleInstaller() else { return "" }
        if hostModules == nil { hostModules = HostModules.needed(index: installer.index) }
        return (hostModules ?? []).sorted().map { $0 + "\n" }.joined()
    }

    // MARK: Installing

    /// instmods' core: dracut-install -m's status; failures are logged by the installer.
    @discardableResult
    public func install(_ modules: [String], checked: Bool, silent: Bool, hostonly: Bool) -> Int32 {
        guard let installer = moduleInstaller() else { return KernelModuleError.notFoundStatus }
        do throws(KernelModuleError) {
            let omitted = settings.omittedDriversPattern.isEmpty ? nil : try installer.pattern(settings.omittedDriversPattern)
            let options = ModuleInstallOptions(
                optional: !checked, silent: silent, filter: ModuleFilter(dropName: omitted),
                hostModules: allowedModules(hostonly: hostonly, installer))
            try installer.install(modules, options: options)
            return 0
        } catch {
            if case .invalidPattern = error { logger.error("omit_drivers: \(error)") }
            return error.dracutInstallStatus
        }
    }

    /// The modules a call may install: nil (any) unless hostonly, then this host's, computed once.
    public func allowedModules(hostonly: Bool, _ installer: KernelModuleInstaller) -> Set<String>? {
        guard hostonly else { return nil }
        if hostModules == nil { hostModules = HostModules.needed(index: installer.index) }
        return hostModules
    }

    /// /etc/cmdline.d/20-force_drivers.conf: one rd.driver.pre= line per forced driver, appended.
    private func writeForcedDriverLines(_ modules: [String]) throws {
        try imageInstaller.installDirectory("/etc/cmdline.d")
        let path = try imageInstaller.imageFilePath("/etc/cmdline.d/20-force_drivers.conf")
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw InstallError.system(path: path, operation: "append to", message: systemErrorDescription())
        }
        defer { close(fd) }
        guard writeAll(fd: fd, Array(modules.map { "rd.driver.pre=\($0)\n" }.joined().utf8)) else {
            throw InstallError.system(path: path, operation: "write", message: systemErrorDescription())
        }
    }
}
