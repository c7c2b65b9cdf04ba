import CKmod
#if canImport(Glibc)
import Glibc
#endif
import Support

/// The build's one libkmod context on a module directory (dracut-install's `--kerneldir`), and the
/// only type that talks to libkmod. Lookups and module file contents are cached for the build.
public final class KernelModuleIndex {
    /// Absolute, without a trailing slash: libkmod builds module paths as DIRECTORY/RELATIVE.
    public let directory: String
    private let context: OpaquePointer
    private let logBridge: KmodLogBridge
    private var lookups: [String: [KernelModule]] = [:]
    private lazy var dependencyFile = Result { () throws(KernelModuleError) in try ModuleDependencyFile(moduleDirectory: directory) }
    private var facts: [String: Result<ModuleFileFacts, KernelModuleError>] = [:]

    /// - Parameters:
    ///   - directory: the module directory, e.g. /lib/modules/KVER (dracut's $srcmods).
    ///   - configurationPaths: modprobe.d directories or files for aliases and softdeps; nil takes
    ///     libkmod's defaults (the host's /etc/modprobe.d, /lib/modprobe.d, ...), as dracut-install does.
    public init(directory: String, configurationPaths: [String]? = nil, logger: Logger) throws(KernelModuleError) {
        let directory = Self.normalizedDirectory(directory)
        var status = stat()
        guard stat(directory, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
            throw .missingModuleDirectory(directory)
        }
        try BinaryIndexHeader.check(directory + "/modules.dep.bin")
        // Raw bytes (PathBytes): a --kmoddir (drivers_dir) that is not UTF-8 is opened as it is.
        let paths = configurationPaths.map { $0.map { PathBytes.withCString($0) { strdup($0) } } + [nil] }
        defer { paths?.forEach { free($0) } }
        let created: OpaquePointer? = PathBytes.withCString(directory) { name in
            guard let paths else { return kmod_new(name, nil) }
            return paths.map { UnsafePointer($0) }.withUnsafeBufferPointer { kmod_new(name, $0.baseAddress) }
        }
        guard let created else {
            throw .contextUnavailable(directory: directory, message: systemErrorDescription())
        }
        self.directory = directory
        context = created
        logBridge = KmodLogBridge(logger: logger)
        logBridge.attach(to: created)
        kmod_set_log_priority(created, LOG_WARNING)
        // Map the indexes once for the build; without them libkmod reopens the files per lookup.
        if kmod_load_resources(created) < 0 {
            logger.debug("\(directory): module indexes not preloaded; libkmod will read them per lookup")
        }
    }

    deinit { kmod_unref(context) }

    /// Whether this libkmod reports weak dependencies (kmod_module_get_weakdeps, kmod 33 and later).
    public static var providesWeakDependencies: Bool { weakDependencyFunction != nil }

    // MARK: Lookups

    /// The modules a name or alias stands for: one for a module name, possibly several for an alias.
    /// Empty when nothing matches.
    public func lookup(_ nameOrAlias: String) throws(KernelModuleError) -> [KernelModule] {
        if let known = lookups[nameOrAlias] { return known }
        var list: OpaquePointer?
        let status = kmod_module_new_from_lookup(context, nameOrAlias, &list)
        guard status >= 0 else {
            throw .unreadableIndex(directory: directory, module: nameOrAlias, message: systemErrorDescription(-status))
        }
        let found = modules(in: list)
        lookups[nameOrAlias] = found
        return found
    }

    /// The module's modules.dep line: everything it needs loaded first.
    public func dependencies(of module: KernelModule) throws(KernelModuleError) -> [KernelModule] {
        guard let path = module.path else { return [] }
        return try dependencyFile.get().dependencies(ofModuleAt: path).map { KernelModule(name: KernelModule.name(ofFile: $0), path: $0) }
    }

    /// Its softdep pre: and post: modules, from modules.softdep and the modprobe.d configuration.
    public func softDependencies(of module: KernelModule) throws(KernelModuleError) -> (pre: [KernelModule], post: [KernelModule]) {
        try withHandle(of: module) { handle in
            var pre: OpaquePointer?, post: OpaquePointer?
            guard kmod_module_get_softdeps(handle, &pre, &post) >= 0 else {
                kmod_module_unref_list(pre)
                kmod_module_unref_list(post)
                return ([], [])
            }
            return (modules(in: pre), modules(in: post))
        }
    }

    /// Its weakdep modules; always empty with a libkmod that predates them.
    public func weakDependencies(of module: KernelModule) throws(KernelModuleError) -> [KernelModule] {
        guard let weakDependencies = weakDependencyFunction else { return [] }
        return try withHandle(of: module) { handle in
            var list: OpaquePointer?
            guard weakDependencies(handle, &list) >= 0 else {
                kmod_module_unref_list(list)
                return []
            }
            return modules(in: list)
        }
    }

    // MARK: Module files

    /// The module file's imported symbols and firmware, read together so that a compressed module
    /// is decompressed once; the answer (or the failure) is kept for the build.
    public func fileFacts(of module: KernelModule) throws(KernelModuleError) -> ModuleFileFacts {
        guard let path = module.path else { throw .missingFile(module: module.name, path: nil) }
        if let known = facts[path] { return try known.get() }
        let result = Result { () throws(KernelModuleError) in
            ModuleELFReader.reads(path) ? try ModuleELFReader(path: path).read() : try libkmodFacts(ofFile: path)
        }
        facts[path] = result
        return try result.get()
    }

    /// Reads the facts of many uncompressed modules on every processor, ahead of a filtered walk
    /// that is about to ask for each of them.
    public func prefetchFacts(of modules: [KernelModule]) {
        var seen: Set<String> = []
        let paths = modules.compactMap(\.path).filter { facts[$0] == nil && ModuleELFReader.reads($0) && seen.insert($0).inserted }
        guard paths.count > 1 else { return }
        let results = ParallelMap.map(paths) { path in Result { () throws(KernelModuleError) in try ModuleELFReader(path: path).read() } }
        for (path, result) in zip(paths, results) { facts[path] = result }
    }

    /// The same facts through libkmod, which decompresses .ko.xz, .ko.zst and .ko.gz files.
    func libkmodFacts(ofFile path: String) throws(KernelModuleError) -> ModuleFileFacts {
        // By path: libkmod then opens the file without consulting modules.dep again.
        var handle: OpaquePointer?
        let status = kmod_module_new_from_path(context, path, &handle)
        guard status >= 0, let handle else { throw unreadable(path, status: status) }
        defer { kmod_module_unref(handle) }
        return try readFacts(of: handle, path: path)
    }

    private func readFacts(of handle: OpaquePointer, path: String) throws(KernelModuleError) -> ModuleFileFacts {
        var symbolList: OpaquePointer?
        let symbolStatus = kmod_module_get_dependency_symbols(handle, &symbolList)
        guard symbolStatus >= 0 else { throw unreadable(path, status: symbolStatus) }
        defer { kmod_module_dependency_symbols_free_list(symbolList) }
        var symbols: [String] = []
        forEach(symbolList) { entry in
            if let symbol = kmod_module_dependency_symbol_get_symbol(entry) { symbols.append(String(cString: symbol)) }
        }

        var infoList: OpaquePointer?
        let infoStatus = kmod_module_get_info(handle, &infoList)
        guard infoStatus >= 0 else { throw unreadable(path, status: infoStatus) }
        defer { kmod_module_info_free_list(infoList) }
        var firmware: [String] = []
        forEach(infoList) { entry in
            guard let key = kmod_module_info_get_key(entry), strcmp(key, "firmware") == 0,
                let value = kmod_module_info_get_value(entry)
            else { return }
            firmware.append(String(cString: value))
        }
        return ModuleFileFacts(importedSymbols: symbols, firmware: firmware)
    }

    private func unreadable(_ path: String, status: Int32) -> KernelModuleError {
        var info = stat()
        guard stat(path, &info) == 0 else { return .unreadableModule(path: path, message: systemErrorDescription()) }
        let reason =
            -status == ENOENT || -status == EINVAL || -status == ENOEXEC
            ? "truncated or not an ELF module" : systemErrorDescription(-status)
        return .unreadableModule(path: path, message: reason)
    }

    // MARK: libkmod plumbing

    /// A referenced libkmod module for the duration of `body`. Looked up by name, so the module's
    /// file is the one modules.dep names.
    private func withHandle<T>(of module: KernelModule, _ body: (OpaquePointer) throws(KernelModuleError) -> T) throws(KernelModuleError) -> T {
        var handle: OpaquePointer?
        let status = kmod_module_new_from_name(context, module.name, &handle)
        guard status >= 0, let handle else {
            throw .unreadableIndex(directory: directory, module: module.name, message: systemErrorDescription(-status))
        }
        defer { kmod_module_unref(handle) }
        return try body(handle)
    }

    /// Converts a list of referenced modules and releases it.
    private func modules(in list: OpaquePointer?) -> [KernelModule] {
        defer { kmod_module_unref_list(list) }
        var result: [KernelModule] = []
        forEach(list) { entry in
            guard let handle = kmod_module_get_module(entry) else { return }
            defer { kmod_module_unref(handle) }
            let name = String(cString: kmod_module_get_name(handle))
            if let path = kmod_module_get_path(handle) {
                result.append(KernelModule(name: name, path: PathBytes.string(cString: path)))
            } else {
                // Only asked when there is no file: for others it reads the host's /sys/module.
                let builtin = kmod_module_get_initstate(handle) == Int32(KMOD_MODULE_BUILTIN.rawValue)
                result.append(KernelModule(name: name, path: nil, isBuiltin: builtin))
            }
        }
        return result
    }

    private func forEach(_ list: OpaquePointer?, _ body: (OpaquePointer) -> Void) {
        var entry = list
        while let current = entry {
            body(current)
            entry = kmod_list_next(list, current)
        }
    }

    static func normalizedDirectory(_ directory: String) -> String {
        var path = directory
        if !path.hasPrefix("/") {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            if getcwd(&buffer, buffer.count) != nil { path = String(nulTerminated: buffer) + "/" + path }
        }
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }
}

/// kmod_module_get_weakdeps exists only in kmod 33 and later: looked up at run time, so Kindling
/// builds and runs against either.
private typealias WeakDependencyFunction = @convention(c) (OpaquePointer?, UnsafeMutablePointer<OpaquePointer?>?) -> Int32

private let weakDependencyFunction: WeakDependencyFunction? = {
    guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "kmod_module_get_weakdeps") else { return nil }
    return unsafeBitCast(symbol, to: WeakDependencyFunction.self)
}()
