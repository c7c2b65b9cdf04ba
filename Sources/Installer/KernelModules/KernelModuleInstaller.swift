#if canImport(Glibc)
import Glibc
#endif
import Support

/// dracut-install -m, in process and for the whole build: resolves module names, aliases, files and
/// `=subdir` walks through the build's one libkmod context, and copies each module with its
/// modules.dep dependencies, softdeps, weakdeps and firmware into /lib/modules/KVER of the image.
/// What was installed (or failed) is remembered across calls, so each module is handled once.
/// Failures are logged here, one line each; callers only look at whether `install` throws.
public final class KernelModuleInstaller {
    public let index: KernelModuleIndex
    /// The image's module directory is /lib/modules/KERNELVERSION whatever the source directory is.
    public let kernelVersion: String
    private let copier: ImageFileCopier
    private let firmware: FirmwareInstaller
    private let logger: Logger
    /// Host paths of the modules copied so far.
    public private(set) var installedPaths: Set<String> = []
    /// Called after each module is copied, for the build's status line.
    public var onInstall: (() -> Void)?
    private var failures: [String: KernelModuleError] = [:]
    private var patterns: [String: ExtendedRegex] = [:]

    public init(
        index: KernelModuleIndex, kernelVersion: String, firmwareDirectories: [String],
        imageInstaller: FileInstaller, logger: Logger
    ) {
        self.index = index
        self.kernelVersion = kernelVersion
        self.logger = logger
        copier = ImageFileCopier(installer: imageInstaller)
        firmware = FirmwareInstaller(directories: firmwareDirectories, copier: copier, logger: logger)
    }

    public var imageModuleDirectory: String { "/lib/modules/\(kernelVersion)" }

    /// A compiled filter pattern, kept for the build with what it has matched.
    public func pattern(_ text: String) throws(KernelModuleError) -> ExtendedRegex {
        if let known = patterns[text] { return known }
        let compiled = try ExtendedRegex(text)
        patterns[text] = compiled
        return compiled
    }

    // MARK: Installing

    /// Installs each argument (a name or alias, an absolute .ko path, or `=subdir`). Without
    /// `options.optional` the first failure ends the request and is thrown; with it, failures are
    /// logged and the rest carries on. Every module file is in the image when this returns.
    public func install(_ arguments: [String], options: ModuleInstallOptions) throws(KernelModuleError) {
        var failure: KernelModuleError?
        do {
            try installEach(arguments, options: options)
        } catch {
            failure = error
        }
        // A module's file is written by a worker (`copy`); one that failed there fails now.
        for (source, copyFailure) in copier.finishCopiesInBackground() {
            let error = KernelModuleError.copyFailed(path: source, message: copyFailure.description)
            failures[source] = error
            installedPaths.remove(source)
            do { try settle(error, options) } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
    }

    private func installEach(_ arguments: [String], options: ModuleInstallOptions) throws(KernelModuleError) {
        for argument in arguments {
            switch ModuleArgument(argument) {
            case .name(let name):
                do { try installNamed(name, argument: argument, options: options) } catch { try settle(error, options) }
            case .file(let path):
                do throws(KernelModuleError) {
                    guard access(path, F_OK) == 0 else { throw KernelModuleError.notFound(argument) }
                    try installNamed(KernelModule.name(ofFile: path), argument: argument, options: options)
                } catch {
                    try settle(error, options)
                }
            case .subdirectory(let subdirectory):
                try installTree(subdirectory, argument: argument, options: options)
            }
        }
    }

    /// Whether a module (or builtin) of that name or alias exists, as `modprobe --dry-run` tells.
    public func isAvailable(_ name: String) -> Bool {
        guard let modules = try? index.lookup(name) else { return false }
        return modules.contains { module in module.isBuiltin || module.path.map { access($0, F_OK) == 0 } ?? false }
    }

    private func installNamed(_ name: String, argument: String, options: ModuleInstallOptions) throws(KernelModuleError) {
        let modules = try index.lookup(name)
        guard !modules.isEmpty else { throw .notFound(name) }
        var accepted = false
        for module in modules where try installRequested(module, options: options) { accepted = true }
        guard accepted else { throw .filteredOut(argument) }
    }

    private func installTree(_ subdirectory: String, argument: String, options: ModuleInstallOptions) throws(KernelModuleError) {
        let files = ModuleTreeWalk(moduleDirectory: index.directory, filter: options.filter).files(under: subdirectory)
        let resolved = files.map { file in
            Result { () throws(KernelModuleError) -> [KernelModule] in
                let name = KernelModule.name(ofFile: file)
                let modules = try index.lookup(name)
                guard !modules.isEmpty else { throw .notFound(name) }
                return modules
            }
        }
        if options.filter.filtersSymbols {
            let candidates = resolved.flatMap { (try? $0.get()) ?? [] }.filter { needsSymbolCheck($0, options: options) }
            index.prefetchFacts(of: candidates)
        }
        var matched = false, accepted = false
        for modules in resolved {
            do throws(KernelModuleError) {
                for module in try modules.get() {
                    matched = true
                    if try installRequested(module, options: options) { accepted = true }
                }
            } catch {
                try settle(error, options)
            }
        }
        if matched && !accepted { try settle(.filteredOut(argument), options) }
    }

    /// Whether `installRequested` will read the module's symbols.
    private func needsSymbolCheck(_ module: KernelModule, options: ModuleInstallOptions) -> Bool {
        guard let path = module.path, !module.isBuiltin, !options.filter.excludes(name: module.name),
            options.hostModules?.contains(module.name) ?? true
        else { return false }
        return failures[path] == nil && !installedPaths.contains(path) && options.filter.accepts(path: path)
    }

    /// A module named or walked: the name, hostonly, path and symbol filters apply. False when the
    /// path or symbol filters reject it; a builtin, an omitted or a non-host module counts as done.
    private func installRequested(_ module: KernelModule, options: ModuleInstallOptions) throws(KernelModuleError) -> Bool {
        if module.isBuiltin {
            logger.debug("kernel module \(module.name) is built in")
            return true
        }
        if options.filter.excludes(name: module.name) { return true }
        if let host = options.hostModules, !host.contains(module.name) {
            logger.debug("kernel module \(module.name) is not needed by this host")
            return true
        }
        guard let path = module.path else { throw .missingFile(module: module.name, path: nil) }
        if let failure = failures[path] { throw failure }
        if installedPaths.contains(path) { return true }
        guard options.filter.accepts(path: path) else { return false }
        if options.filter.filtersSymbols {
            let symbols = try recordingFailure(of: path) { () throws(KernelModuleError) in try index.fileFacts(of: module).importedSymbols }
            guard options.filter.accepts(importedSymbols: symbols) else { return false }
        }
        try installFile(of: module, at: path, filter: options.filter)
        return true
    }

    /// Copies the module, its firmware, then everything it depends on (unfiltered but for -N).
    private func installFile(of module: KernelModule, at path: String, filter: ModuleFilter) throws(KernelModuleError) {
        let facts = try recordingFailure(of: path) { () throws(KernelModuleError) -> ModuleFileFacts in
            guard access(path, F_OK) == 0 else { throw .missingFile(module: module.name, path: path) }
            let facts = try index.fileFacts(of: module)
            try copy(module, from: path)
            return facts
        }
        installedPaths.insert(path)
        onInstall?()
        for name in facts.firmware { firmware.install(name, for: module.name) }

        let soft = try index.softDependencies(of: module)
        let needed = try index.dependencies(of: module) + soft.pre + soft.post + index.weakDependencies(of: module)
        for dependency in needed {
            guard let dependencyPath = dependency.path else {
                if !dependency.isBuiltin { logger.debug("kernel module \(module.name): dependency \(dependency.name) has no file") }
                continue
            }
            if let failure = failures[dependencyPath] { throw failure }
            if installedPaths.contains(dependencyPath) || filter.excludes(name: dependency.name) { continue }
            try installFile(of: dependency, at: dependencyPath, filter: filter)
        }
    }

    private func copy(_ module: KernelModule, from path: String) throws(KernelModuleError) {
        let destination = imageModuleDirectory + "/" + (try relativePath(of: path))
        do {
            try copier.copyInBackground(path, to: destination)
        } catch {
            switch error {
            case .sourceMissing: throw .missingFile(module: module.name, path: path)
            case .failed(let message): throw .copyFailed(path: path, message: message)
            }
        }
    }

    /// The path under the module directory; modules.dep may also give paths under another
    /// /lib/modules/KVER (dracut keeps everything after it).
    private func relativePath(of path: String) throws(KernelModuleError) -> String {
        let prefix = index.directory + "/"
        if path.hasPrefix(prefix) { return String(path.dropFirst(prefix.count)) }
        if let range = path.range(of: "/lib/modules/\(kernelVersion)/") { return String(path[range.upperBound...]) }
        throw .outsideModuleDirectory(path: path, directory: index.directory)
    }

    private func recordingFailure<T>(of path: String, _ body: () throws(KernelModuleError) -> T) throws(KernelModuleError) -> T {
        do {
            return try body()
        } catch {
            failures[path] = error
            throw error
        }
    }

    /// A missing or filtered module is routine in optional mode; anything else is logged even
    /// then, because it means a broken module tree or image.
    private func settle(_ error: KernelModuleError, _ options: ModuleInstallOptions) throws(KernelModuleError) {
        let routine: Bool
        switch error {
        case .notFound, .filteredOut: routine = true
        default: routine = false
        }
        if options.optional && routine {
            logger.debug(error.description)
            return
        }
        if !options.silent { logger.error(error.description) }
        if !options.optional { throw error }
    }
}
