#if canImport(Glibc)
import Glibc
#endif
import Support

/// Finds what an executable needs at run time: its loader and libraries, or a script's interpreter.
public protocol DependencyResolving: AnyObject {
    /// In-sysroot paths of the files `path` needs, and the names that could not be found.
    func dependencies(of path: String) throws -> ELFDependencies
}

extension LibraryResolver: DependencyResolving {}

/// A regular file `FileInstaller` copied into the image.
public struct CopiedFile: Sendable {
    /// Where the copy is.
    public var imagePath: String
    /// The file copied, in the sysroot, and where that is on the host.
    public var sysrootPath: String
    public var hostPath: String
    public var size: Int
    /// An executable or a shared library, whose libraries the image will need too.
    public var mayNeedLibraries: Bool
}

/// dracut-install, in process: copies files from the sysroot into the image tree, keeping symlinks
/// as relative symlinks, replicating symlinked directories, and pulling in ELF dependencies.
/// One instance lives for the whole build, so each file is looked at once.
public final class FileInstaller {
    public let sysroot: String
    /// The image tree (dracut's $initdir).
    public let imageRoot: String
    /// Directories searched for bare names, like dracut's PATH.
    public var searchPath: [String]
    /// Resolve dependencies as files are installed (dracut's eager mode); otherwise
    /// `resolveInstalledExecutables` does it once at the end (its lazy mode).
    public var resolvesEagerly: Bool
    /// --loginstall: where each file copied from the host is named.
    public var installLog: InstallLog?
    /// Told of each regular file copied into the image.
    public var onFileCopied: ((CopiedFile) -> Void)?

    private let paths: SysrootPaths
    /// The image root, seen as a root: its symlinks resolve inside it.
    private let imagePaths: SysrootPaths
    private let sysrootDirectories = RememberedDirectories()
    private let imageDirectories = RememberedDirectories()
    private let resolver: DependencyResolving
    private let logger: Logger
    private var resolved: Set<String> = []
    /// Set while files are copied on worker threads (`copyingInBackground`).
    private var backgroundCopies: BackgroundCopies?
    /// Symlinks being installed, each waiting for its target: a loop would recurse forever.
    private var linksInProgress: [String] = []

    public init(
        sysroot: String, imageRoot: String, searchPath: [String], resolver: DependencyResolving,
        resolvesEagerly: Bool, logger: Logger
    ) {
        self.sysroot = sysroot
        self.imageRoot = imageRoot
        self.searchPath = searchPath
        self.resolver = resolver
        self.resolvesEagerly = resolvesEagerly
        self.logger = logger
        paths = SysrootPaths(sysroot: sysroot, remembering: sysrootDirectories)
        imagePaths = SysrootPaths(sysroot: imageRoot, remembering: imageDirectories)
    }

    /// Runs `body` with every directory it resolves remembered until it returns. Only for work in
    /// which nothing but this installer changes the image or the sysroot: a helper call (module
    /// code waits for its answer), the lazy pass. The installer only adds to the tree, so a
    /// directory resolved once stays where it was.
    public func rememberingDirectories<Result>(_ body: () throws -> Result) rethrows -> Result {
        sysrootDirectories.begin()
        imageDirectories.begin()
        defer {
            sysrootDirectories.end()
            imageDirectories.end()
        }
        return try body()
    }

    // MARK: Queries

    /// Whether something is already at `path` in the image.
    public func imageContains(_ path: String) -> Bool {
        var status = stat()
        guard let found = try? imagePath(path) else { return false }
        return lstat(found, &status) == 0
    }

    /// Whether `path` exists in the sysroot (a dangling symlink counts, as `[[ -L ]]` would).
    /// Its directories are resolved inside the sysroot, so no host file is looked at.
    /// - Throws: `InstallError.escapesSysroot` when the path or a symlink on it leaves the sysroot.
    public func sysrootContains(_ path: String) throws -> Bool {
        // No file has an empty name (bash's [[ -e "" ]] is false): it is not the sysroot itself.
        guard !path.isEmpty else { return false }
        guard let host = try hostPath(of: path) else { return false }
        var status = stat()
        return lstat(host, &status) == 0
    }

    /// Every directory of the search path that holds `name`, as dracut-install's bare-name lookup.
    public func searchPathMatches(_ name: String) -> [String] {
        searchPath.map { $0 + "/" + name }.filter { candidate in
            guard let resolved = (try? paths.resolve(candidate)).flatMap({ $0 }) else { return false }
            var status = stat()
            return stat(sysroot + resolved, &status) == 0 && status.st_mode & S_IFMT != S_IFDIR
        }
    }

    // MARK: Installing

    /// Installs `source` at `destination` (default: the same path). Returns false when the source
    /// does not exist. Symlinks become relative symlinks to their installed targets.
    @discardableResult
    public func install(
        _ source: String, at destination: String? = nil, resolvingDependencies: Bool = false,
        hostonly: Bool = false
    ) throws -> Bool {
        // An empty source names no file; taken as the sysroot's root it made a directory at the
        // destination (inst_simple "" /etc/x), which dracut never does.
        guard !source.isEmpty else { return false }
        var destination = destination ?? source
        // dracut-install copies with cp: a destination ending in a slash is a directory the
        // file goes into, under its own name (network-manager's `inst_simple FILE DIR/`).
        if destination.count > 1, destination.hasSuffix("/"), let name = source.split(separator: "/").last {
            destination += name
        }
        destination = try normalizedDestination(destination)
        if imageContains(destination) {
            if resolvingDependencies && resolvesEagerly { try resolveDependencies(ofImageFile: destination) }
            return true
        }
        guard let hostSource = try hostPath(of: source) else { return false }
        var status = stat()
        guard lstat(hostSource, &status) == 0 else { return false }
        try createParentDirectories(of: destination)
        switch status.st_mode & S_IFMT {
        case S_IFDIR:
            try makeDirectory(destination, mode: 0o755)
        case S_IFLNK:
            try installSymlink(
                source, hostSource: hostSource, at: destination, resolvingDependencies: resolvingDependencies,
                hostonly: hostonly)
            return true
        case S_IFREG:
            let copy = try imagePath(destination)
            try copyFile(from: hostSource, to: copy, status: status)
            onFileCopied?(
                CopiedFile(
                    imagePath: copy, sysrootPath: source, hostPath: hostSource, size: Int(status.st_size),
                    mayNeedLibraries: Self.mayNeedLibraries(destination, mode: status.st_mode)))
            installLog?.record(sysroot + source)
            if resolvingDependencies && resolvesEagerly { try resolveDependencies(ofImageFile: destination) }
        default:
            try copySpecialFile(status, to: destination)
        }
        if hostonly { try recordHostonly(destination) }
        return true
    }

    /// Creates a directory (and its parents) in the image, as `inst_dir`.
    public func installDirectory(_ path: String) throws {
        let destination = try normalizedDestination(path)
        guard !imageContains(destination) else { return }
        if try hostPath(of: destination).map({ isSymlink($0) }) == true {
            try install(destination)
            return
        }
        try createParentDirectories(of: destination)
        try makeDirectory(destination, mode: 0o755)
    }

    /// The lazy pass: installs what every executable regular file in the image needs.
    /// - Parameter afterEach: told each executable once its needs are installed.
    /// `includingLibraries`: also every file named like a shared library, executable or not, as
    /// dracut-ng 112's pass takes them (`-perm /0111 -or -name '*.so*'`, no `*.ko*` names).
    public func resolveInstalledExecutables(includingLibraries: Bool = false, afterEach: (String) -> Void = { _ in }) throws {
        try rememberingDirectories {
            try copyingInBackground {
                for path in executableImageFiles(includingLibraries: includingLibraries) {
                    try resolveDependencies(ofImageFile: path)
                    afterEach(path)
                }
            }
        }
    }

    /// Runs `body` with the files it installs copied on worker threads, and returns once every
    /// copy is done. Only where nothing reads the copies meanwhile: dependencies are resolved
    /// from the host's files, never from the image's copies of them.
    private func copyingInBackground(_ body: () throws -> Void) throws {
        let copies = BackgroundCopies()
        backgroundCopies = copies
        defer { backgroundCopies = nil }
        let outcome = Result { try body() }
        let failures = copies.finish().failures
        try outcome.get()
        if let failure = failures.first { throw failure.error }
    }

    /// Installs the loader, libraries or interpreter that the image file `path` needs.
    public func resolveDependencies(ofImageFile path: String) throws {
        guard resolved.insert(path).inserted else { return }
        var status = stat()
        guard stat(try imageFilePath(path), &status) == 0, status.st_mode & S_IFMT == S_IFREG,
            Self.mayNeedLibraries(path, mode: status.st_mode)
        else { return }
        // Resolve the copy in the image: modules may have written files that the host lacks.
        let subject = try sysrootContains(path) ? path : imagePath(path)
        let found: ELFDependencies
        do {
            found = try resolver.dependencies(of: subject)
        } catch let error as ELFError {
            // A cut or corrupt ELF file would not run: the loader could not even map it.
            switch error.reason {
            case .truncated, .corrupt, .unreadable: throw InstallError.unusableFile(error.description)
            case .notELF, .unsupported: logger.debug("\(path): no dependencies resolved: \(error)")
            }
            return
        } catch {
            logger.debug("\(path): no dependencies resolved: \(error)")
            return
        }
        for name in found.missing {
            // Found only as a file the loader cannot map (a text file, a cut ELF, a FIFO): name it.
            if let unusable = found.unusable.first(where: { $0.path.hasSuffix("/" + name) }),
                !Self.isWrongVariant(unusable)
            {
                throw InstallError.unusableFile("\(path): library \(name): \(unusable)")
            }
            logger.error("\(path): library \(name) not found")
        }
        for dependency in found.files {
            try install(dependency, resolvingDependencies: true)
            // dracut-install also takes the unversioned link libX.so of libX.so.N when the host has it.
            if let link = Self.unversionedLink(of: dependency) { _ = try? install(link) }
        }
    }

    /// The tree was emptied behind the installer's back (squash's loader moves it into
    /// squash/root): the files it resolved are no longer there, so a file installed again at the
    /// same path has its libraries installed again.
    public func forgetInstalledFiles() {
        resolved.removeAll()
    }

    /// `/x/libX.so` for `/x/libX.so.N` (the first ".so."); nil for any other name.
    static func unversionedLink(of library: String) -> String? {
        let bytes = Array(library.utf8), pattern = Array(".so.".utf8)
        guard bytes.count >= pattern.count,
            let start = (0...(bytes.count - pattern.count)).first(where: { bytes[$0..<$0 + pattern.count].elementsEqual(pattern) })
        else { return nil }
        return String(decoding: bytes[..<(start + 3)], as: UTF8.self)
    }

    /// Executables and shared libraries: the files whose dependencies are resolved.
    static func mayNeedLibraries(_ path: String, mode: mode_t) -> Bool {
        mode & 0o111 != 0 || path.contains(".so")
    }

    /// A library of another class or machine is skipped by the loader too: not an error.
    private static func isWrongVariant(_ error: ELFError) -> Bool {
        if case .unsupported = error.reason { return true }
        return false
    }

    /// dracut-install -H: lists the file in /lib/dracut/hostonly-files, which rd.hostonly=0 removes at boot.
    public func recordHostonly(_ path: String) throws {
        try installDirectory("/lib/dracut")
        let listPath = try imageFilePath("/lib/dracut/hostonly-files")
        let fd = open(listPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw InstallError.system(path: listPath, operation: "append to", message: systemErrorDescription())
        }
        defer { close(fd) }
        writeAll(fd: fd, PathBytes.bytes(path + "\n"))
    }

    // MARK: Paths

    /// Where `path` of the image is on the host, its directories resolved inside the image as the
    /// initramfs will see them, the last component left as it is (a symlink to read or replace).
    /// Module code may have made symlinks in the image (`lib/dracut -> /tmp/x`, `etc -> ../..`):
    /// they mean the image's paths, so no write through this path lands on the host.
    /// - Throws: `InstallError.escapesImage` when `..` in a link climbs above the image's root.
    public func imagePath(_ path: String) throws -> String {
        let absolute = path.hasPrefix("/") ? path : "/" + path
        let name = lastComponent(of: absolute)
        if name.isEmpty || name == "." || name == ".." { return imageRoot + (try resolvedDirectory(absolute)) }
        let directory = PathText.directory(of: absolute)
        if directory == "/" { return imageRoot + absolute }
        return imageRoot + PathText.join(try resolvedDirectory(directory), name)
    }

    /// As `imagePath`, and a symlink as the last component is followed inside the image too: for
    /// writing into a file that may exist (appending, rewriting). A dangling symlink there is
    /// refused, since opening it to write would create its target wherever it points.
    public func imageFilePath(_ path: String) throws -> String {
        let absolute = path.hasPrefix("/") ? path : "/" + path
        if let resolved = try resolvedInImage(absolute) { return imageRoot + resolved }
        let candidate = try imagePath(absolute)
        var status = stat()
        if lstat(candidate, &status) == 0 && status.st_mode & S_IFMT == S_IFLNK {
            throw InstallError.escapesImage("\(absolute): a symlink in the image that leads nowhere in it; not written through")
        }
        return candidate
    }

    /// The image's own path of a directory, resolved inside the image as far as it exists, the
    /// missing rest appended (a write there fails, or its parents are made first). A symlink on
    /// the way that leads nowhere in the image is refused: the host would follow it elsewhere.
    private func resolvedDirectory(_ directory: String) throws -> String {
        if let resolved = try resolvedInImage(directory) { return resolved }
        let components = PathText.components(of: directory).map(String.init)
        var known = "/"
        for (index, component) in components.enumerated() {
            let next = PathText.join(known, component)
            if let resolved = try resolvedInImage(next) {
                known = resolved
                continue
            }
            var status = stat()
            if lstat(imageRoot + next, &status) == 0 && status.st_mode & S_IFMT == S_IFLNK {
                throw InstallError.escapesImage(
                    "\(directory): \(next) is a symlink in the image that leads nowhere in it; not written through")
            }
            return components[index...].reduce(known) { PathText.join($0, $1) }
        }
        return known
    }

    /// The image's own path of `path`, every symlink resolved inside the image; nil when missing.
    private func resolvedInImage(_ path: String) throws -> String? {
        do {
            return try imagePaths.resolve(path)
        } catch {
            throw InstallError.escapesImage(
                "\(path): symlink \(error.symlink ?? path) -> \(error.target ?? "..") in the image leads outside it")
        }
    }

    /// The host path of an in-sysroot path, with its directories resolved inside the sysroot
    /// and the last component left as it is (it may be a symlink to install as such).
    func hostPath(of path: String) throws -> String? {
        let absolute = path.hasPrefix("/") ? path : "/" + path
        let directory = PathText.directory(of: absolute)
        let name = String(PathText.lastComponent(of: absolute))
        do {
            guard let resolvedDirectory = try paths.resolve(directory) else { return nil }
            if name.isEmpty || name == "." || name == ".." {
                return try paths.resolve(absolute).map { sysroot + $0 }
            }
            return sysroot + PathText.join(resolvedDirectory, name)
        } catch {
            // Name the whole path asked for, not only the part resolved when it failed.
            throw InstallError.escapesSysroot(
                SysrootPathError(
                    path: absolute, symlink: error.symlink, target: error.target, sysroot: error.sysroot
                ).description)
        }
    }

    /// Destinations are absolute paths inside the image: `..` may not climb out of it.
    func normalizedDestination(_ path: String) throws -> String {
        // Most paths come normalised already (every library of the lazy pass): one look at their
        // bytes spares splitting and joining them.
        if Self.isNormalized(path) { return path }
        var components: [Substring] = []
        for component in PathText.components(of: path) {
            switch component {
            case ".": continue
            case "..":
                guard !components.isEmpty else { throw InstallError.unsafeDestination(path) }
                components.removeLast()
            default: components.append(component)
            }
        }
        return "/" + components.joined(separator: "/")
    }

    /// Absolute, without an empty, `.` or `..` component and without a trailing slash: what
    /// `normalizedDestination` would give back unchanged.
    static func isNormalized(_ path: String) -> Bool {
        path.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard bytes.first == UInt8(ascii: "/") else { return false }
            if bytes.count == 1 { return true }
            var componentStart = 1
            for index in 1...bytes.count {
                guard index == bytes.count || bytes[index] == UInt8(ascii: "/") else { continue }
                let length = index - componentStart
                if length == 0 { return false }
                if bytes[componentStart] == UInt8(ascii: "."),
                    length == 1 || (length == 2 && bytes[componentStart + 1] == UInt8(ascii: "."))
                {
                    return false
                }
                componentStart = index + 1
            }
            return true
        } ?? false
    }

    // MARK: Building the tree

    /// - Parameter hostonly: as dracut-install -H, the link's target is listed in hostonly-files,
    ///   spelled as the link's directory joined to the link text (`/etc/sysctl.d/../sysctl.conf`).
    private func installSymlink(
        _ source: String, hostSource: String, at destination: String,
        resolvingDependencies: Bool, hostonly: Bool
    ) throws {
        guard let target = readLink(hostSource) else {
            throw InstallError.system(path: hostSource, operation: "read the link", message: systemErrorDescription())
        }
        guard !linksInProgress.contains(source), linksInProgress.count < SysrootPaths.symlinkLimit else {
            throw InstallError.system(path: hostSource, operation: "follow the link", message: systemErrorDescription(ELOOP))
        }
        linksInProgress.append(source)
        defer { linksInProgress.removeLast() }
        if hostonly { try recordHostonly(target.hasPrefix("/") ? target : PathText.directory(of: source) + "/" + target) }
        // One level of the link, made absolute against the link's own (unresolved) directory.
        let absoluteTarget: String
        do {
            absoluteTarget = try normalizedDestination(
                target.hasPrefix("/") ? target : PathText.join(PathText.directory(of: source), target))
        } catch  where !sysroot.isEmpty {
            throw InstallError.escapesSysroot("\(source): symlink to \(target) leads outside the sysroot \(sysroot)")
        }
        guard try install(absoluteTarget, resolvingDependencies: resolvingDependencies) else {
            throw InstallError.notFound("\(absoluteTarget) (the target of \(source))")
        }
        let linkText = relativePath(
            from: realImageDirectory(of: destination),
            to: PathText.join(realImageDirectory(of: absoluteTarget), lastComponent(of: absoluteTarget)))
        let link = try imagePath(destination)
        guard symlink(linkText, link) == 0 || errno == EEXIST else {
            throw InstallError.system(path: link, operation: "create a symlink", message: systemErrorDescription())
        }
    }

    /// Makes the parent directories, replicating the host's symlinked directories (lib -> usr/lib).
    private func createParentDirectories(of destination: String) throws {
        // Most files go where other files went before them.
        let parent = PathText.directory(of: destination)
        if parent == "/" || imageContains(parent) { return }
        var current = ""
        let components = PathText.components(of: destination).dropLast()
        for component in components {
            current += "/" + component
            if imageContains(current) { continue }
            if let host = try hostPath(of: current), isSymlink(host) {
                try install(current)
            } else {
                try makeDirectory(current, mode: 0o755)
            }
        }
    }

    private func makeDirectory(_ path: String, mode: mode_t) throws {
        let directory = try imagePath(path)
        guard mkdir(directory, mode) == 0 || errno == EEXIST else {
            throw InstallError.system(path: directory, operation: "create the directory", message: systemErrorDescription())
        }
    }

    private func copyFile(from source: String, to destination: String, status: stat) throws {
        let input = open(source, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard input >= 0 else {
            throw InstallError.system(path: source, operation: "read", message: systemErrorDescription())
        }
        if let backgroundCopies {
            // Made here, so that the image holds the file at once; filled on a worker.
            guard let output = try FileCopier.create(destination, status: status) else {
                close(input)
                return
            }
            backgroundCopies.fill(output, from: input, status: status, source: source, destination: destination)
            return
        }
        defer { close(input) }
        _ = try FileCopier.copy(from: input, status: status, to: destination)
    }

    private func copySpecialFile(_ status: stat, to destination: String) throws {
        let node = try imagePath(destination)
        guard mknod(node, status.st_mode, status.st_rdev) == 0 || errno == EEXIST else {
            throw InstallError.system(path: node, operation: "create the special file", message: systemErrorDescription())
        }
    }

    private func executableImageFiles(includingLibraries: Bool) -> [String] {
        var found: [String] = []
        func walk(_ relative: String) {
            // The walk descends real directories only (lstat): its paths need no resolving.
            guard let entries = typedDirectoryEntries(imageRoot + (relative.isEmpty ? "/" : relative)) else { return }
            for entry in entries.sorted(by: { $0.name < $1.name }) {
                let path = relative + "/" + entry.name
                switch entry.typeNotFollowing(at: imageRoot + path) {
                case DT_DIR: walk(path)
                case DT_REG:
                    // Kernel modules are no one's executables: their status is not looked at.
                    if includingLibraries ? entry.name.contains(".ko") : path.hasSuffix(".ko") { continue }
                    if includingLibraries && entry.name.contains(".so") {
                        found.append(path)
                        continue
                    }
                    var status = stat()
                    if lstat(imageRoot + path, &status) == 0, status.st_mode & 0o111 != 0 { found.append(path) }
                default: break
                }
            }
        }
        walk("")
        return found
    }

    /// The image path of `path` with symlinks in the image resolved, as ln_r's realpath does.
    private func realImagePath(_ path: String) -> String {
        (try? imagePaths.resolve(path)).flatMap { $0 } ?? path
    }

    private func lastComponent(of path: String) -> String {
        String(PathText.lastComponent(of: path))
    }

    private func realImageDirectory(of path: String) -> String {
        realImagePath(PathText.directory(of: path))
    }

    private func isSymlink(_ hostPath: String) -> Bool {
        var status = stat()
        return lstat(hostPath, &status) == 0 && status.st_mode & S_IFMT == S_IFLNK
    }
}

/// The path of `target` relative to the directory `directory`; both absolute and normalised.
public func relativePath(from directory: String, to target: String) -> String {
    let base = PathText.components(of: directory)
    let goal = PathText.components(of: target)
    var common = 0
    while common < base.count, common < goal.count - 1, base[common] == goal[common] { common += 1 }
    let ups = Array(repeating: "..", count: base.count - common)
    let rest = goal[common...].map(String.init)
    return (ups + rest).joined(separator: "/")
}

/// Copies a regular file's contents, mode and times to a new file (never over an existing one).
enum FileCopier {
    /// Returns false when `destination` already exists; removes a partial copy on failure.
    static func copy(from input: Int32, status: stat, to destination: String) throws(InstallError) -> Bool {
        guard let output = try create(destination, status: status) else { return false }
        try fill(output, from: input, status: status, destination: destination)
        return true
    }

    /// Makes the new file `destination` for a copy of the file `status` describes; nil when
    /// something is there already.
    static func create(_ destination: String, status: stat) throws(InstallError) -> Int32? {
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, status.st_mode & 0o7777)
        guard output >= 0 else {
            if errno == EEXIST { return nil }
            throw .system(path: destination, operation: "create", message: systemErrorDescription())
        }
        return output
    }

    /// Copies the contents, mode and times of `input` into `output`, the new file at
    /// `destination`, and closes `output`; removes the copy on failure.
    static func fill(_ output: Int32, from input: Int32, status: stat, destination: String) throws(InstallError) {
        let mode = status.st_mode & 0o7777
        let copied = copyContents(from: input, to: output, size: Int(status.st_size))
        let failure = copied ? nil : systemErrorDescription()
        fchmod(output, mode)
        var times = [status.st_atim, status.st_mtim]
        futimens(output, &times)
        close(output)
        if let failure {
            unlink(destination)
            throw .system(path: destination, operation: "write", message: failure)
        }
    }

    /// In-kernel copy with sendfile, else through a buffer from the current offsets.
    private static func copyContents(from input: Int32, to output: Int32, size: Int) -> Bool {
        var remaining = size
        while remaining > 0 {
            let count = sendfile(output, input, nil, remaining)
            if count > 0 { remaining -= count; continue }
            if count < 0 && errno == EINTR { continue }
            if count == 0 { return true }
            return bufferedCopy(from: input, to: output)
        }
        // A file whose size lies (procfs) or that grew: finish with plain reads.
        return bufferedCopy(from: input, to: output)
    }

    private static func bufferedCopy(from input: Int32, to output: Int32) -> Bool {
        // Uninitialised: after sendfile this usually reads nothing, and zeroing 64 KiB for every
        // file installed was the copy's largest cost in the engine.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(input, buffer.baseAddress, buffer.count)
            if count == 0 { return true }
            if count < 0 { if errno == EINTR { continue }; return false }
            guard writeAll(fd: output, UnsafeBufferPointer(start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count))
            else {
                return false
            }
        }
    }
}
