#if canImport(Glibc)
import Glibc
#endif
import Support

/// dracut_kernel_post: after every module is in the image, copies the kernel's builtin lists and
/// module order next to them and regenerates modules.dep and the other indexes for exactly the
/// installed set with `depmod -a -b IMAGE KVER`, so modprobe works inside the image.
public struct ModuleIndexWriter {
    /// Copied from the module directory when present; depmod reads them to index builtins.
    public static let kernelFiles = ["modules.builtin", "modules.builtin.alias", "modules.builtin.modinfo", "modules.order"]

    public let moduleDirectory: String
    public let kernelVersion: String
    private let copier: ImageFileCopier
    private let logger: Logger

    public init(moduleDirectory: String, kernelVersion: String, imageInstaller: FileInstaller, logger: Logger) {
        self.moduleDirectory = KernelModuleIndex.normalizedDirectory(moduleDirectory)
        self.kernelVersion = kernelVersion
        copier = ImageFileCopier(installer: imageInstaller)
        self.logger = logger
    }

    /// - Parameter previous: the module files the last index of this tree was made from. When
    ///   the tree holds the same ones, depmod does not run again: a module that indexes the tree
    ///   itself (dracut_kernel_post) and then compresses its modules in place keeps a valid index.
    /// - Returns: the module files this index is of.
    @discardableResult
    public func write(unlessModulesAre previous: [String]? = nil) throws(KernelModuleError) -> [String]? {
        let run = try start(unlessModulesAre: previous)
        try run.finish()
        return run.modules
    }

    /// As `write`, with depmod left running on a thread of its own: the tree outside the module
    /// directory may change meanwhile; `finish` waits for it.
    public func start(unlessModulesAre previous: [String]? = nil) throws(KernelModuleError) -> ModuleIndexRun {
        let imageDirectory = "/lib/modules/\(kernelVersion)"
        for name in Self.kernelFiles where access(moduleDirectory + "/" + name, F_OK) == 0 {
            do {
                try copier.copy(moduleDirectory + "/" + name, to: imageDirectory + "/" + name)
            } catch {
                throw .copyFailed(path: moduleDirectory + "/" + name, message: error.description)
            }
        }
        guard copier.imageHasDirectory(imageDirectory) else {
            logger.debug("no kernel modules in the image: depmod not run")
            return ModuleIndexRun(modules: nil)
        }
        // depmod -b follows the host's view of the image: it must be the image's own.
        guard let indexDirectory = copier.hostPathInImage(imageDirectory) else {
            throw .copyFailed(path: imageDirectory, message: "a symlink in the image leads out of it; depmod not run through it")
        }
        // Names only: what depmod lists by path; a module compressed in place is the same module.
        let modules = ModuleTreeWalk.moduleFiles(under: copier.imageRoot + imageDirectory)
        if let previous, previous == modules {
            logger.debug("kernel module index: the same \(modules.count) modules as the last one: depmod not run again")
            return ModuleIndexRun(modules: modules)
        }
        return ModuleIndexRun(
            modules: modules, directory: indexDirectory, depmod: Self.depmodPath(),
            arguments: ["-a", "-b", copier.imageRoot, kernelVersion], logger: logger)
    }

    /// The host's depmod, as dracut runs it; the image's own kmod may not be installed.
    static func depmodPath() -> String {
        ["/usr/sbin/depmod", "/sbin/depmod", "/usr/bin/depmod", "/bin/depmod"].first { access($0, X_OK) == 0 } ?? "depmod"
    }
}

/// A module index being written: depmod on a thread of its own, or nothing left to do.
public final class ModuleIndexRun: @unchecked Sendable {
    /// The module files the index is of; nil when the image has no module directory.
    public let modules: [String]?
    /// Where depmod writes, relative to the image root, when it was started: the module
    /// directory's real path (the image's /lib may be a symlink to usr/lib).
    public let directory: String?
    /// Called by `finish` once the index is written, with `modules`.
    var onSuccess: (([String]?) -> Void)?
    private let logger: Logger?
    private var thread: Thread?
    private var output: Result<CommandOutput, any Error>?
    private var verdict: Result<Void, KernelModuleError>?

    init(modules: [String]?) {
        self.modules = modules
        directory = nil
        logger = nil
    }

    init(modules: [String], directory: String? = nil, depmod: String, arguments: [String], logger: Logger) {
        self.modules = modules
        self.directory = directory
        self.logger = logger
        thread = Thread { [self] in output = Result { try runCommand(depmod, arguments) } }
    }

    /// Whether depmod was started and not waited for yet.
    public var isRunning: Bool { thread != nil }

    /// Waits for depmod; throws when it could not run or failed. Its messages are logged.
    public func finish() throws(KernelModuleError) {
        if verdict == nil {
            thread?.join()
            thread = nil
            verdict = Result { () throws(KernelModuleError) in try check() }
            if case .success = verdict { onSuccess?(modules) }
        }
        try verdict?.get()
    }

    private func check() throws(KernelModuleError) {
        let finished: CommandOutput
        switch output {
        case .success(let value): finished = value
        case .failure(let error): throw .depmodFailed(status: 127, message: "\(error)")
        case nil: return
        }
        let messages = finished.errorText.split(separator: "\n").map(String.init)
        guard finished.status == 0 else {
            throw .depmodFailed(status: finished.status, message: messages.first ?? "")
        }
        for line in messages { logger?.debug(line) }
    }

    deinit { thread?.join() }
}
