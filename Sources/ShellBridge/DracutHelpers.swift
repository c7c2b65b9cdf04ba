#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Installer
import Support

/// What the helpers need to know about the build, read from dracut's variables once.
public struct HelperContext: Sendable {
    public var sysroot: String
    /// `$hookdirs`: inst_hook accepts a name only if it is a substring of this, as dracut checks.
    public var hookDirectories: String
    /// `$DRACUT_PATH`, searched by find_binary.
    public var binaryPath: [String]
    /// `$libdirs`, searched by find_binary for libraries.
    public var libraryDirectories: [String]
    public var udevDirectory: String
    public var dracutBaseDirectory: String
    /// Where inst_hook puts hooks: /lib/dracut/hooks (dracut 059) or /var/lib/dracut/hooks (dracut-ng).
    public var hookRoot: String
    /// The modules are dracut-ng's: inst_rules looks at the host's /etc/udev/rules.d before
    /// $udevdir's, not after, and tells of a rule it skips only in the debug log.
    public var followsDracutNG: Bool
    /// build_ld_cache with `dstdir` set runs ldconfig in that tree (dracut-ng 112); before, the
    /// loader configuration went to `dstdir` but ldconfig ran on the image (dracut-ng 106).
    public var loaderCacheFollowsDestination: Bool
    /// Where build_ld_cache runs ldconfig when not in the installer's tree (set for the helpers
    /// of another destination when `loaderCacheFollowsDestination` is false).
    var loaderCacheRoot: String?

    public init(
        sysroot: String, hookDirectories: String, binaryPath: [String], libraryDirectories: [String],
        udevDirectory: String, dracutBaseDirectory: String, hookRoot: String = "/lib/dracut/hooks",
        followsDracutNG: Bool = false, loaderCacheFollowsDestination: Bool = true
    ) {
        self.loaderCacheFollowsDestination = loaderCacheFollowsDestination
        self.hookRoot = hookRoot
        self.followsDracutNG = followsDracutNG
        self.sysroot = sysroot
        self.hookDirectories = hookDirectories
        self.binaryPath = binaryPath
        self.libraryDirectories = libraryDirectories
        self.udevDirectory = udevDirectory
        self.dracutBaseDirectory = dracutBaseDirectory
    }
}

/// The engine's side of dracut's helper API: each shell helper call arrives here as a request.
public final class DracutHelpers: HelperHandler {
    public let installer: FileInstaller
    public let context: HelperContext
    private let logger: Logger
    /// Helpers whose work lives in another part of the engine (kernel modules), keyed by name.
    private var delegates: [String: (HelperRequest) -> HelperReply] = [:]
    /// The first helper called that Kindling does not implement; the build fails on it.
    public private(set) var unsupportedCall: String?
    /// Told of each binary module code's find_binary found (in the sysroot).
    public var onBinaryFound: ((String) -> Void)?
    private lazy var udevRules = UdevRules(helpers: self)
    /// The file helpers for another sysroot or destination that module code named for a call
    /// (`dracutsysrootdir=DIR inst FILE`, `dstdir=DIR inst FILE`), made when first asked for.
    private var otherSysroots: [String: DracutHelpers] = [:]

    public init(installer: FileInstaller, context: HelperContext, logger: Logger) {
        self.installer = installer
        self.context = context
        self.logger = logger
    }

    /// Hands a helper to another part of the engine.
    public func delegate(_ helper: String, to handler: @escaping (HelperRequest) -> HelperReply) {
        delegates[helper] = handler
    }

    public func handle(_ request: HelperRequest) -> HelperReply {
        if let delegate = delegates[request.helper] { return delegate(request) }
        guard let helper = DracutHelper.File(rawValue: request.helper) else {
            // A helper of DracutHelper.NotImplemented, or a name module code sent on its own.
            unsupportedCall = unsupportedCall ?? request.helper
            logger.error("helper \(request.helper) is not implemented in Kindling yet")
            return HelperReply(status: 1)
        }
        let sysroot = request.sysroot ?? context.sysroot
        let destination = request.destination ?? installer.imageRoot
        if sysroot != context.sysroot || destination != installer.imageRoot {
            return helpers(forSysroot: sysroot, destination: destination).handle(request)
        }
        // DRACUT_RESOLVE_DEPS set for the call: dracut-install -l, libraries now even in lazy mode.
        let resolvesEagerly = installer.resolvesEagerly
        if request.resolvesDependencies { installer.resolvesEagerly = true }
        defer { installer.resolvesEagerly = resolvesEagerly }
        do {
            return try helper.onlyAddsFiles ? installer.rememberingDirectories { try run(helper, request) } : run(helper, request)
        } catch InstallError.notFound(let what) {
            logger.error("\(request.helper): \(InstallError.notFound(what))")
            return failed(request.helper, request.arguments)
        } catch {
            // A file that exists but cannot be used (unreadable, corrupt, escaping the sysroot)
            // means a broken system or a hostile path: end the build, naming it.
            return fatal("\(error)")
        }
    }

    private func run(_ helper: DracutHelper.File, _ request: HelperRequest) throws -> HelperReply {
        var arguments = request.arguments
        switch helper {
        case .inst: return try inst(&arguments)
        case .inst_simple: return try instSimple(&arguments, resolving: false)
        case .inst_library: return try instSimple(&arguments, resolving: true)
        case .inst_binary, .inst_script: return try instBinary(arguments)
        case .inst_symlink: return try instSymlink(&arguments)
        case .inst_multiple, .dracut_install: return try instMultiple(&arguments)
        case .inst_dir: return try instDir(arguments)
        case .inst_hook: return try instHook(arguments)
        case .find_binary:
            guard let found = findBinary(arguments.first ?? "") else { return .failure }
            onBinaryFound?(found)
            return HelperReply(output: found + "\n")
        case .inst_rules: return try udevRules.install(arguments, hostonly: !request.hostonly.isEmpty)
        case .inst_rules_wildcard: return try udevRules.installWildcard(arguments.first ?? "")
        case .inst_rule_programs: return try udevRules.installPrograms(ofRule: arguments.first ?? "")
        case .inst_rule_group_owner: return try udevRules.installGroupsAndOwners(ofRule: arguments.first ?? "")
        case .inst_rule_initqueue: return try udevRules.markInitqueue(ifRuleNeeds: arguments.first ?? "")
        case .prepare_udev_rules: return try udevRules.rewriteLegacyImports(arguments)
        case .inst_decompress: return try instDecompress(arguments)
        case .inst_opt_decompress: return try instOptionallyDecompressed(arguments)
        case .build_ld_cache: return try buildLoaderCache()
        case .ln_r: return try linkRelatively(arguments)
        }
    }

    /// The same helpers installing from `sysroot` into `destination`, as dracut-install -r and -D
    /// do for a call that sets dracutsysrootdir or dstdir. The kernel module helpers keep the
    /// build's sysroot (their own `destination` comes from `installer(forDestination:)`).
    private func helpers(forSysroot sysroot: String, destination: String) -> DracutHelpers {
        let key = sysroot + "\0" + destination
        if let made = otherSysroots[key] {
            // Lazy or eager as the build is now: the lazy pass may have ended since.
            made.installer.resolvesEagerly = installer.resolvesEagerly
            return made
        }
        let other = FileInstaller(
            sysroot: sysroot, imageRoot: destination, searchPath: installer.searchPath,
            resolver: LibraryResolver(sysroot: sysroot), resolvesEagerly: installer.resolvesEagerly, logger: logger)
        other.installLog = installer.installLog
        var otherContext = context
        otherContext.sysroot = sysroot
        if !context.loaderCacheFollowsDestination { otherContext.loaderCacheRoot = installer.imageRoot }
        let helpers = DracutHelpers(installer: other, context: otherContext, logger: logger)
        otherSysroots[key] = helpers
        return helpers
    }

    /// The file installer of calls that set `dstdir` to `destination` (the build's sysroot), for
    /// the kernel module helpers, which install modules and firmware there as dracut-install -D does.
    public func installer(forDestination destination: String) -> FileInstaller {
        destination == installer.imageRoot
            ? installer : helpers(forSysroot: context.sysroot, destination: destination).installer
    }

    /// The tree was emptied behind the helpers' backs (squash's loader moves it into
    /// squash/root): what they remember of it no longer holds.
    public func forgetInstalledFiles() {
        installer.forgetInstalledFiles()
        otherSysroots.removeAll()
    }

    // MARK: File helpers

    /// `inst [-H] SRC [DST]`; more than two arguments are all sources.
    private func inst(_ arguments: inout [String]) throws -> HelperReply {
        let hostonly = takeFlag("-H", from: &arguments)
        guard !arguments.isEmpty else { return .failure }
        if arguments.count <= 2, installer.imageContains(arguments.count == 2 ? arguments[1] : arguments[0]) {
            return .success
        }
        if arguments.count == 2 {
            guard let source = try locate(arguments[0]).first,
                try installer.install(source, at: arguments[1], resolvingDependencies: true, hostonly: hostonly)
            else {
                return failed("inst", arguments)
            }
            return .success
        }
        return try installAll(arguments, optional: false, hostonly: hostonly, helper: "inst")
    }

    /// inst_simple and inst_library: nothing to do when the source is missing.
    private func instSimple(_ arguments: inout [String], resolving: Bool) throws -> HelperReply {
        let hostonly = takeFlag("-H", from: &arguments)
        guard let source = arguments.first else { return .failure }
        let destination = arguments.count > 1 ? arguments[1] : source
        if installer.imageContains(destination) { return .success }
        // dracut's `[[ -e $1 ]] || return 1`: an empty source fails and installs nothing.
        if source.isEmpty { return emptyName(resolving ? "inst_library" : "inst_simple", arguments) }
        guard try installer.sysrootContains(source) else { return .failure }
        guard try installer.install(source, at: destination, resolvingDependencies: resolving, hostonly: hostonly) else {
            return failed(resolving ? "inst_library" : "inst_simple", arguments)
        }
        return .success
    }

    private func instBinary(_ arguments: [String]) throws -> HelperReply {
        // As dracut-install: an empty name or an empty destination installs nothing, and is no error.
        if arguments.first?.isEmpty ?? false || (arguments.count > 1 && arguments[1].isEmpty) { return .success }
        guard let source = arguments.first, let located = try locate(source).first else { return failed("inst_binary", arguments) }
        let destination = arguments.count > 1 ? arguments[1] : located
        guard try installer.install(located, at: destination, resolvingDependencies: true) else {
            return failed("inst_binary", arguments)
        }
        return .success
    }

    private func instSymlink(_ arguments: inout [String]) throws -> HelperReply {
        let hostonly = takeFlag("-H", from: &arguments)
        guard let source = arguments.first else { return .failure }
        let destination = arguments.count > 1 ? arguments[1] : source
        if installer.imageContains(destination) { return .success }
        if source.isEmpty { return emptyName("inst_symlink", arguments) }
        var status = stat()
        guard lstat(context.sysroot + source, &status) == 0, status.st_mode & S_IFMT == S_IFLNK else { return .failure }
        guard try installer.install(source, at: destination, resolvingDependencies: true, hostonly: hostonly) else {
            return failed("inst_symlink", arguments)
        }
        return .success
    }

    /// `inst_multiple [-H] [-o] FILE...`: bare names from the search path, globs under the sysroot.
    private func instMultiple(_ arguments: inout [String]) throws -> HelperReply {
        var hostonly = false, optional = false
        while let first = arguments.first, first == "-H" || first == "-o" {
            if first == "-H" { hostonly = true } else { optional = true }
            arguments.removeFirst()
        }
        return try installAll(arguments, optional: optional, hostonly: hostonly, helper: "inst_multiple")
    }

    private func installAll(_ sources: [String], optional: Bool, hostonly: Bool, helper: String) throws -> HelperReply {
        var missing: [String] = []
        // An empty word names nothing: dracut-install skips it (and installs nothing for it).
        for source in sources where !source.isEmpty {
            let candidates = source.hasPrefix("/") && source.utf8.contains(UInt8(ascii: "*")) ? glob(source) : try locate(source)
            if candidates.isEmpty { missing.append(source) }
            for candidate in candidates {
                if try !installer.install(candidate, resolvingDependencies: true, hostonly: hostonly) {
                    missing.append(candidate)
                }
            }
        }
        guard missing.isEmpty || optional else {
            for name in missing { logger.debug("\(helper): \(name) not found") }
            return failed(helper, (optional ? ["-o"] : []) + sources)
        }
        return .success
    }

    /// `inst_decompress FILE...`: each file is installed as it is, then decompressed in the image
    /// by its tool (which drops the extension). A name without a known extension stops the call
    /// with status 1; otherwise the status is the last tool's, as in dracut.
    private func instDecompress(_ sources: [String]) throws -> HelperReply {
        var status: Int32 = 0
        for source in sources {
            guard let tool = Self.decompressor(for: source) else { return .failure }
            var arguments = [source]
            _ = try instSimple(&arguments, resolving: false)
            let result = try runCommand(tool.name, tool.arguments + [installer.imagePath(source)])
            if result.status != 0 { logger.error("\(tool.name): \(result.errorText.trimmingCharacters(in: .whitespacesAndNewlines))") }
            status = result.status
        }
        return HelperReply(status: status)
    }

    /// `inst_opt_decompress FILE...`: a compressed file goes in decompressed, any other with `inst`.
    private func instOptionallyDecompressed(_ sources: [String]) throws -> HelperReply {
        var status: Int32 = 0
        for source in sources {
            status = try instDecompress([source]).status
            if status != 0 {
                var arguments = [source]
                status = try inst(&arguments).status
            }
        }
        return HelperReply(status: status)
    }

    /// dracut's get_decompress_cmd: the tool for a file name's compression extension.
    static func decompressor(for path: String) -> (name: String, arguments: [String])? {
        if path.hasSuffix(".gz") { return ("gzip", ["-f", "-d"]) }
        if path.hasSuffix(".bz2") { return ("bzip2", ["-d"]) }
        if path.hasSuffix(".xz") { return ("xz", ["-f", "-d"]) }
        if path.hasSuffix(".zst") { return ("zstd", ["-f", "-d"]) }
        return nil
    }

    /// `ln_r SOURCE LINK`: LINK in the tree points at SOURCE by a relative path, as `ln -sfnr`
    /// makes it (through the tree's own symlinks: bin -> usr/bin); ln itself when LINK is a
    /// directory, where it puts the link inside.
    private func linkRelatively(_ arguments: [String]) throws -> HelperReply {
        guard arguments.count == 2 else {
            logger.error("ln_r: expected SOURCE and LINK, got \(arguments.count) arguments")
            return .failure
        }
        let source = installer.imageRoot + "/" + arguments[0], link = installer.imageRoot + "/" + arguments[1]
        switch RelativeSymlink.make(pointingAt: source, at: link) {
        case .made: return .success
        case .failed(let message):
            logger.error(message)
            return .failure
        case nil:
            let result = try runCommand("ln", ["-sfnr", "--", source, link])
            for line in result.errorText.split(separator: "\n") { logger.error(String(line)) }
            return HelperReply(status: result.status == 0 ? 0 : 1)
        }
    }

    private func instDir(_ arguments: [String]) throws -> HelperReply {
        for directory in arguments { try installer.installDirectory(directory) }
        return .success
    }

    /// `build_ld_cache`: the sysroot's loader configuration into the image, then `ldconfig -r`
    /// over the image; ldconfig's failure is logged, not fatal, as in dracut.
    private func buildLoaderCache() throws -> HelperReply {
        try LoaderCacheBuilder(
            installer: installer, sysroot: context.sysroot, logger: logger, cacheRoot: context.loaderCacheRoot
        ).build()
        return .success
    }

    /// `inst_hook HOOK PRIO FILE`: a missing file or an unknown hook ends the build, as in dracut.
    private func instHook(_ arguments: [String]) throws -> HelperReply {
        guard arguments.count == 3 else { return fatal("inst_hook needs HOOK PRIORITY FILE, got: \(arguments.joined(separator: " "))") }
        let (hook, priority, file) = (arguments[0], arguments[1], arguments[2])
        var status = stat()
        guard stat(file, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            return fatal("cannot install a hook (\(file)) that does not exist")
        }
        guard context.hookDirectories.contains(hook) else { return fatal("no such hook type \(hook)") }
        let name = (file as NSString).lastPathComponent
        let destination = "\(context.hookRoot)/\(hook)/\(priority)-\(name)"
        if !installer.imageContains(destination) {
            try installer.installDirectory("\(context.hookRoot)/\(hook)")
            try copyHostFile(file, to: destination)
        }
        let imagePath = try installer.imageFilePath(destination)
        guard stat(imagePath, &status) == 0 else { return fatal("cannot install the hook \(file)") }
        chmod(imagePath, status.st_mode & 0o7777 | S_IRWXU & S_IXUSR)
        return .success
    }

    /// Copies a file named by a host path (a module's own file), which the sysroot does not hold.
    func copyHostFile(_ hostPath: String, to destination: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: hostPath))
        var status = stat()
        guard stat(hostPath, &status) == 0 else {
            throw InstallError.system(path: hostPath, operation: "stat", message: systemErrorDescription())
        }
        let target = try installer.imageFilePath(destination)
        guard replaceFile(target, with: Array(data), mode: status.st_mode & 0o7777) else {
            throw InstallError.system(path: target, operation: "create", message: systemErrorDescription())
        }
        installer.installLog?.record(hostPath)
    }

    // MARK: Lookups

    /// dracut's find_binary: libraries in $libdirs, paths as given, then $DRACUT_PATH.
    func findBinary(_ name: String) -> String? {
        guard !name.isEmpty else { return nil }
        let separator = name.hasPrefix("/") ? "" : "/"
        if name.contains(".so") {
            for directory in context.libraryDirectories + [""] {
                let path = directory + separator + name
                if ELFFile.isELF(at: context.sysroot + path) { return path }
            }
        }
        if name.contains("/") {
            let path = separator + name
            if isExecutableOrLink(context.sysroot + path) { return path }
        }
        for directory in context.binaryPath {
            let path = directory + separator + name
            if isExecutableOrLink(context.sysroot + path) { return path }
        }
        // Without a sysroot dracut falls back to `type -P` of the last component, so a rule's
        // /sbin/partx is found as /usr/bin/partx on a host that keeps it there.
        guard context.sysroot.isEmpty, let last = name.split(separator: "/").last else { return nil }
        return installer.searchPath.map { $0 + "/" + last }.first { isExecutableFile($0) }
    }

    private func isExecutableFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFREG && access(path, X_OK) == 0
    }

    /// Sources for a name: itself when it has a slash, otherwise every search-path hit.
    private func locate(_ source: String) throws -> [String] {
        if source.contains("/") {
            return try installer.sysrootContains(source) ? [source] : []
        }
        return installer.searchPathMatches(source)
    }

    private func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard PathBytes.withCString(context.sysroot + pattern, { Glibc.glob($0, 0, nil, &result) }) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { index in
            result.gl_pathv[index].map { String(PathBytes.string(cString: $0).dropFirst(context.sysroot.count)) }
        }
    }

    private func isExecutableOrLink(_ path: String) -> Bool {
        var status = stat()
        if lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFLNK { return true }
        return access(path, X_OK) == 0
    }

    // MARK: Replies

    func log(_ level: LogLevel, _ message: String) { logger.log(level, message) }

    private func takeFlag(_ flag: String, from arguments: inout [String]) -> Bool {
        guard arguments.first == flag else { return false }
        arguments.removeFirst()
        return true
    }

    /// An empty file name where dracut's helper fails: status 1, nothing installed, one line
    /// naming the helper (dracut's own says nothing, which leaves a module author guessing).
    func emptyName(_ helper: String, _ arguments: [String]) -> HelperReply {
        logger.error("\(helper): an empty file name installs nothing (arguments: \(arguments.map(PathBytes.quoted).joined(separator: " ")))")
        return HelperReply(status: 1)
    }

    func failed(_ helper: String, _ arguments: [String]) -> HelperReply {
        logger.error("FAILED: \(helper) \(arguments.joined(separator: " "))")
        return HelperReply(status: 1)
    }

    /// dfatal and exit 1: the shim ends the build when it gets this reply.
    private func fatal(_ message: String) -> HelperReply {
        logger.fatal(message)
        return HelperReply(status: HelperReply.exitBuild)
    }
}

extension HelperReply {
    /// A reply status that makes the shim exit, ending the build as dracut's `exit 1` does.
    public static let exitBuild: Int32 = 256
}
