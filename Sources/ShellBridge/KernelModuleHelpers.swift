#if canImport(Glibc)
import Glibc
#endif
import Installer
import Support

/// What the kernel module helpers need to know about the build.
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

    public init(noKernel: Bool, sysroot: String, kernelVersion: String, moduleDirectory: String,
                firmwareDirectories: [String], omittedDriversPattern: String = "", hostModules: Set<String>? = nil,
                modprobeConfiguration: [String]? = nil) {
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

/// The kernel module lists of dracut's command line and configuration, installed after the modules.
public struct DriverOptions: Sendable, Equatable {
    /// -d/--drivers: `instmods` (missing ones only logged).
    public var drivers: [String]
    /// --add-drivers: `instmods -c`.
    public var addDrivers: [String]
    /// --force-drivers: `instmods -c`, and loaded first at boot through rd.driver.pre=.
    public var forceDrivers: [String]
    /// --filesystems: `instmods -c`.
    public var filesystems: [String]
    /// --omit-drivers: never installed, unless also named in drivers, add_drivers or force_drivers.
    public var omitDrivers: [String]

    public init(drivers: [String] = [], addDrivers: [String] = [], forceDrivers: [String] = [],
                filesystems: [String] = [], omitDrivers: [String] = []) {
        self.drivers = drivers.map(Self.underscored)
        self.addDrivers = addDrivers.map(Self.underscored)
        self.forceDrivers = forceDrivers.map(Self.underscored)
        self.filesystems = filesystems
        self.omitDrivers = omitDrivers.map(Self.underscored)
    }

    /// dracut's $omit_drivers regex: `^name$` alternatives, leaving out names that another list asks for.
    public var omitPattern: String {
        let wanted = Set(drivers + addDrivers + forceDrivers)
        return omitDrivers.filter { !wanted.contains($0) }.map { "^\($0)$" }.joined(separator: "|")
    }

    /// Module names use underscores; dracut rewrites its lists the same way.
    private static func underscored(_ name: String) -> String {
        String(name.map { $0 == "-" ? "_" : $0 })
    }
}

/// dracut's kernel module helpers (instmods, dracut_instmods, require_kernel_modules,
/// check_kernel_module, check_kernel_config, dracut_kernel_post) over one KernelModuleInstaller
/// for the whole build, plus the engine's driver options. The libkmod context is opened on first
/// use, so a --no-kernel build never touches the module directory.
public final class KernelModuleHelpers {
    public let settings: KernelModuleSettings
    private let imageInstaller: FileInstaller
    private let logger: Logger
    private var opened: Result<KernelModuleInstaller, KernelModuleError>?
    private var hostModules: Set<String>?

    public init(settings: KernelModuleSettings, imageInstaller: FileInstaller, logger: Logger) {
        self.settings = settings
        self.imageInstaller = imageInstaller
        self.logger = logger
        hostModules = settings.hostModules
    }

    /// Answers the kernel module helpers of `helpers` from here.
    public func register(in helpers: DracutHelpers) {
        for helper in DracutHelper.KernelModule.allCases {
            helpers.delegate(helper.rawValue) { [self] request in handle(request) }
        }
    }

    public func handle(_ request: HelperRequest) -> HelperReply {
        guard let helper = DracutHelper.KernelModule(rawValue: request.helper) else { return .failure }
        switch helper {
        case .instmods: return instmods(request)
        case .dracut_instmods: return dracutInstmods(request)
        case .require_kernel_modules: return requireKernelModules(request.arguments)
        case .check_kernel_module: return request.arguments.first.map { isAvailable($0) } == true ? .success : .failure
        case .check_kernel_config: return kernelConfigurationHas(request.arguments.first ?? "") ? .success : .failure
        case .dracut_kernel_post: return dracutKernelPost()
        }
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
        try ModuleIndexWriter(moduleDirectory: settings.moduleDirectory, kernelVersion: settings.kernelVersion,
                              imageInstaller: imageInstaller, logger: logger).write()
    }

    /// The build's module installer, opened on first use; nil (after logging why, once) when the
    /// module directory cannot be used.
    public func moduleInstaller() -> KernelModuleInstaller? {
        if opened == nil {
            opened = Result { () throws(KernelModuleError) in
                let index = try KernelModuleIndex(directory: settings.moduleDirectory,
                                                  configurationPaths: settings.modprobeConfiguration, logger: logger)
                return KernelModuleInstaller(index: index, kernelVersion: settings.kernelVersion,
                                             firmwareDirectories: settings.firmwareDirectories,
                                             imageInstaller: imageInstaller, logger: logger)
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

    // MARK: Helpers

    /// `instmods [-c] [-s] MOD...`: 0 unless -c is given and a module could not be installed.
    private func instmods(_ request: HelperRequest) -> HelperReply {
        guard !settings.noKernel else { return .success }
        var arguments = request.arguments
        let checked = arguments.first == "-c"
        if checked { arguments.removeFirst() }
        let silent = arguments.first == "-s"
        if silent { arguments.removeFirst() }
        guard !arguments.isEmpty else { return .success }
        let status = install(arguments, checked: checked, silent: silent, hostonly: !request.hostonly.isEmpty)
        return HelperReply(status: checked ? status : 0)
    }

    /// `dracut_instmods [--silent] [-o] [-p|-P|-s|-S|-N RE] MOD...`: dracut-install -m's own status.
    private func dracutInstmods(_ request: HelperRequest) -> HelperReply {
        guard !settings.noKernel else { return .success }
        guard let installer = moduleInstaller() else { return HelperReply(status: KernelModuleError.notFoundStatus) }
        do throws(KernelModuleError) {
            var parsed = try ModuleInstallRequest(parsing: request.arguments)
            if parsed.dropName == nil, !settings.omittedDriversPattern.isEmpty { parsed.dropName = settings.omittedDriversPattern }
            let options = try parsed.options(hostModules: allowedModules(hostonly: !request.hostonly.isEmpty, installer),
                                             compile: installer.pattern)
            try installer.install(parsed.modules, options: options)
            return .success
        } catch {
            if case .invalidOption = error { logger.error(error.description) }
            if case .invalidPattern = error { logger.error(error.description) }
            return HelperReply(status: error.dracutInstallStatus)
        }
    }

    /// `require_kernel_modules [-m NAME] MOD...`: the number of modules missing, 0 under --no-kernel.
    private func requireKernelModules(_ arguments: [String]) -> HelperReply {
        guard !settings.noKernel else { return .success }
        var modules = arguments
        var owner: String?
        if modules.first == "-m", modules.count >= 2 {
            owner = Self.moduleName(modules[1])
            modules.removeFirst(2)
        }
        var missing: Int32 = 0
        for module in modules where !isAvailable(module) {
            let who = owner.map { "dracut module '\($0)' will not be installed, because " } ?? ""
            logger.info("\(who)kernel module '\(module)' is not available!")
            missing += 1
        }
        return HelperReply(status: min(missing, 255))
    }

    private func isAvailable(_ module: String) -> Bool {
        moduleInstaller()?.isAvailable(module) ?? false
    }

    /// `check_kernel_config CONFIG_X`: the kernel's config file mentions `CONFIG_X=`; true without
    /// a config file, as dracut assumes then.
    private func kernelConfigurationHas(_ option: String) -> Bool {
        let candidates = ["/lib/modules/\(settings.kernelVersion)/config", "/boot/config-\(settings.kernelVersion)"]
        guard let file = candidates.map({ settings.sysroot + $0 }).first(where: { access($0, R_OK) == 0 }) else { return true }
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        return String(decoding: readAll(fd: fd), as: UTF8.self).contains(option + "=")
    }

    /// dracut_kernel_post called by module code: a failure ends the build, as dracut's exit 1 does.
    private func dracutKernelPost() -> HelperReply {
        guard !settings.noKernel else { return .success }
        do {
            try writeModuleIndex()
            return .success
        } catch {
            logger.fatal(error.description)
            return HelperReply(status: HelperReply.exitBuild)
        }
    }

    // MARK: Installing

    /// instmods' core: dracut-install -m's status; failures are logged by the installer.
    @discardableResult
    private func install(_ modules: [String], checked: Bool, silent: Bool, hostonly: Bool) -> Int32 {
        guard let installer = moduleInstaller() else { return KernelModuleError.notFoundStatus }
        do throws(KernelModuleError) {
            let omitted = settings.omittedDriversPattern.isEmpty ? nil : try installer.pattern(settings.omittedDriversPattern)
            let options = ModuleInstallOptions(optional: !checked, silent: silent, filter: ModuleFilter(dropName: omitted),
                                               hostModules: allowedModules(hostonly: hostonly, installer))
            try installer.install(modules, options: options)
            return 0
        } catch {
            if case .invalidPattern = error { logger.error("omit_drivers: \(error)") }
            return error.dracutInstallStatus
        }
    }

    private func allowedModules(hostonly: Bool, _ installer: KernelModuleInstaller) -> Set<String>? {
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

    /// A dracut module's name without its two-digit order prefix, as dracut prints it.
    static func moduleName(_ directoryName: String) -> String {
        let base = directoryName.split(separator: "/").last.map(String.init) ?? directoryName
        let digits = base.prefix(2)
        return digits.count == 2 && digits.allSatisfy(\.isNumber) ? String(base.dropFirst(2)) : base
    }
}
