#if canImport(Glibc)
import Glibc
#endif
import Installer
import Support

/// dracut's kernel module helpers (instmods, dracut_instmods, require_kernel_modules,
/// check_kernel_module, check_kernel_config, dracut_kernel_post), answered from the build's
/// KernelModuleSession, which the engine's own driver steps share.
public final class KernelModuleHelpers {
    public let session: KernelModuleSession
    private let logger: Logger
    private var settings: KernelModuleSettings { session.settings }
    /// The sessions of calls that set `dstdir` (dracut-ng's squash-lib installs loop and overlay
    /// into `$squashdir` and runs dracut_kernel_post there), by destination: each tree gets its
    /// own modules and its own depmod index, as dracut-install -D and `depmod -b $dstdir` give.
    private var otherDestinations: [String: KernelModuleSession] = [:]
    /// The installer of another destination's files, from the file helpers (set by `register`).
    private var destinationInstaller: ((String) -> FileInstaller)?

    public init(session: KernelModuleSession, logger: Logger) {
        self.session = session
        self.logger = logger
    }

    /// Answers the kernel module helpers of `helpers` from here.
    public func register(in helpers: DracutHelpers) {
        for helper in DracutHelper.KernelModule.allCases {
            helpers.delegate(helper.rawValue) { [self] request in handle(request) }
        }
        destinationInstaller = { [unowned helpers] destination in helpers.installer(forDestination: destination) }
    }

    public func handle(_ request: HelperRequest) -> HelperReply {
        guard let helper = DracutHelper.KernelModule(rawValue: request.helper) else { return .failure }
        let session = session(for: request.destination)
        switch helper {
        // Installing modules and firmware only adds to the image.
        case .instmods: return session.rememberingDirectories { instmods(request, session) }
        case .dracut_instmods: return session.rememberingDirectories { dracutInstmods(request, session) }
        case .require_kernel_modules: return requireKernelModules(request.arguments)
        case .check_kernel_module: return request.arguments.first.map { isAvailable($0) } == true ? .success : .failure
        case .check_kernel_config: return kernelConfigurationHas(request.arguments.first ?? "") ? .success : .failure
        case .dracut_kernel_post: return dracutKernelPost(session)
        }
    }

    /// The build's session, or the one installing into `destination` when a call names another tree.
    private func session(for destination: String?) -> KernelModuleSession {
        guard let destination, let installerFor = destinationInstaller else { return session }
        let installer = installerFor(destination)
        guard installer.imageRoot != session.imageRoot else { return session }
        if let made = otherDestinations[destination] { return made }
        let made = KernelModuleSession(settings: settings, imageInstaller: installer, logger: logger)
        otherDestinations[destination] = made
        return made
    }

    // MARK: Helpers

    /// `instmods [-c] [-s] MOD...`: 0 unless -c is given and a module could not be installed.
    private func instmods(_ request: HelperRequest, _ session: KernelModuleSession) -> HelperReply {
        guard !settings.noKernel else { return .success }
        var arguments = request.arguments
        let checked = arguments.first == "-c"
        if checked { arguments.removeFirst() }
        let silent = arguments.first == "-s"
        if silent { arguments.removeFirst() }
        guard !arguments.isEmpty else { return .success }
        let status = session.install(arguments, checked: checked, silent: silent, hostonly: !request.hostonly.isEmpty)
        return HelperReply(status: checked ? status : 0)
    }

    /// `dracut_instmods [--silent] [-o] [-p|-P|-s|-S|-N RE] MOD...`: dracut-install -m's own status.
    private func dracutInstmods(_ request: HelperRequest, _ session: KernelModuleSession) -> HelperReply {
        guard !settings.noKernel else { return .success }
        guard let installer = session.moduleInstaller() else { return HelperReply(status: KernelModuleError.notFoundStatus) }
        do throws(KernelModuleError) {
            var parsed = try ModuleInstallRequest(parsing: request.arguments)
            if parsed.dropName == nil, !settings.omittedDriversPattern.isEmpty { parsed.dropName = settings.omittedDriversPattern }
            let options = try parsed.options(
                hostModules: session.allowedModules(hostonly: !request.hostonly.isEmpty, installer),
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
        session.moduleInstaller()?.isAvailable(module) ?? false
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
    private func dracutKernelPost(_ session: KernelModuleSession) -> HelperReply {
        guard !settings.noKernel else { return .success }
        do {
            try session.writeModuleIndex()
            return .success
        } catch {
            logger.fatal(error.description)
            return HelperReply(status: HelperReply.exitBuild)
        }
    }

    /// A dracut module's name without its two-digit order prefix, as dracut prints it.
    static func moduleName(_ directoryName: String) -> String {
        let base = directoryName.split(separator: "/").last.map(String.init) ?? directoryName
        let digits = base.prefix(2)
        return digits.count == 2 && digits.allSatisfy(\.isNumber) ? String(base.dropFirst(2)) : base
    }
}
