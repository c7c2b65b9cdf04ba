import Archive
import Configuration
import Foundation
import Installer
import Support

#if canImport(Glibc)
import Glibc
#endif

/// What the preflight found wrong: each case names the option or the file in one line.
enum PreflightError: Error, CustomStringConvertible, Equatable {
    /// The output path exists and is not a regular file (a directory, a device, a FIFO...).
    case outputNotAFile(path: String, kind: String)
    /// The directory the output goes into is missing or is not a directory.
    case outputDirectoryMissing(String)
    /// The output directory exists but cannot be written (permissions, a read-only mount).
    case outputDirectoryNotWritable(String, errno: Int32)
    /// The compress setting names a tool that is not installed, or is not a valid setting.
    case compressor(setting: String, reason: String)
    /// The kernel modules directory (the kernel version, --kmoddir) cannot be used.
    case kernel(String)
    /// --tmpdir (or $TMPDIR) is missing, not a directory, or cannot be written.
    case temporaryDirectory(String, errno: Int32)
    /// The --tmpdir's name is not UTF-8: the build's steps name files under it as text.
    case temporaryDirectoryName(String)
    /// --explain or --explain-svg names a file that cannot be written.
    case explainFile(ExplainOutput, path: String, reason: String)
    /// --uefi: the stub, the kernel image or the signing key cannot be used.
    case uefi(String)

    var description: String {
        switch self {
        case .outputNotAFile(let path, let kind):
            return "cannot write the image to '\(path)': it is \(kind), not a file"
        case .outputDirectoryMissing(let directory):
            return "Can't write to \(directory): Directory \(directory) does not exist or is not accessible."
        case .outputDirectoryNotWritable(let directory, let errno):
            return "No permission to write to \(directory): \(systemErrorDescription(errno))."
        case .compressor(let setting, let reason):
            return "cannot compress the image with '\(setting)' (--compress or compress=): \(reason)"
        case .kernel(let message):
            return message
        case .temporaryDirectory(let directory, let errno):
            return "Invalid tmpdir \(PathBytes.quoted(directory)): \(systemErrorDescription(errno))."
        case .temporaryDirectoryName(let directory):
            return "Invalid tmpdir \(PathBytes.quoted(directory)): the name is not UTF-8, which Kindling cannot use for its temporary directory"
        case .explainFile(let output, let path, let reason):
            return "cannot write the \(output.description) to '\(path)': \(reason)"
        case .uefi(let message):
            return message
        }
    }
}

/// The two files the --explain record is written to.
enum ExplainOutput: Equatable, CustomStringConvertible {
    /// --explain FILE: the text report.
    case report
    /// --explain-svg FILE (or --explain FILE.svg): the treemap.
    case map

    var description: String {
        switch self {
        case .report: return "--explain report"
        case .map: return "--explain-svg map"
        }
    }
}

/// How the preflight looks at the file system; tests hand it a table.
protocol PreflightProbe {
    /// nil when `path` exists (following symbolic links) and is a directory; otherwise what it is.
    func kind(of path: String) -> PathKind
    /// 0 when the directory can be written into (files created, renamed), else the errno why not.
    func writeError(directory: String) -> Int32
    /// The runnable path of a tool, nil when it is not installed.
    func findExecutable(_ name: String) -> String?
}

enum PathKind: Equatable {
    case missing(errno: Int32)
    case directory
    case regularFile
    /// Anything else, named as the description reads it ("a FIFO", "a character device", ...).
    case other(String)
}

struct SystemPreflightProbe: PreflightProbe {
    func kind(of path: String) -> PathKind {
        var status = stat()
        guard stat(path, &status) == 0 else { return .missing(errno: errno) }
        switch status.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .regularFile
        case S_IFCHR: return .other("a character device")
        case S_IFBLK: return .other("a block device")
        case S_IFIFO: return .other("a FIFO")
        case S_IFSOCK: return .other("a socket")
        default: return .other("not a regular file")
        }
    }

    func writeError(directory: String) -> Int32 {
        access(directory, W_OK | X_OK) == 0 ? 0 : errno
    }

    func findExecutable(_ name: String) -> String? { findExecutableInSearchPath(name) }
}

/// Everything a build can be refused for before its first module runs: the output image and its
/// directory, the compressor, the kernel's module directory, the temporary directory and the
/// --explain and --explain-svg files. A build that would fail on one of these at its end fails
/// here instead, in one line, before anything is written, locked or run.
struct BuildPreflight {
    /// What the checks resolved, for the build to use.
    struct Checked {
        /// The directory the image goes into; nil when no image is written (--print-cmdline).
        let outputDirectory: String?
        /// The image's compression; nil when no image is written.
        let compressor: Compressor?
        /// The --tmpdir, symbolic links resolved.
        let temporaryParent: String
        /// With --uefi: the executable's parts, found and checked.
        let uefi: UEFIInputs?
    }

    let settings: BuildSettings
    /// Whether an image is written (not --print-cmdline).
    let writesImage: Bool
    let explainPath: String?
    let explainSVGPath: String?
    let logger: Logger
    var probe: any PreflightProbe = SystemPreflightProbe()
    /// The environment's DRACUT_KMODDIR_OVERRIDE turns the --kmoddir name check off, as in dracut.
    let kernelDirectoryOverride: Bool

    init(settings: BuildSettings, configuration: BuildConfiguration, probes: HostProbes, logger: Logger) {
        self.settings = settings
        writesImage = configuration.action == .build
        explainPath = configuration.explainPath
        explainSVGPath = configuration.explainSVGPath
        kernelDirectoryOverride = probes.environment["DRACUT_KMODDIR_OVERRIDE"] != nil
        self.logger = logger
    }

    func run() throws(PreflightError) -> Checked {
        let directory = writesImage ? try checkOutput(settings.outputPath) : nil
        let compressor = writesImage ? try checkCompressor(settings.image.compression) : nil
        try checkKernel()
        let temporaryParent = try checkTemporaryDirectory(settings.paths.temporaryParent)
        if writesImage, let explain = explainPath { try checkExplainFile(explain, for: .report) }
        if writesImage, let map = explainSVGPath { try checkExplainFile(map, for: .map) }
        var uefi: UEFIInputs?
        if writesImage, let wanted = settings.uefi {
            uefi = try UEFIInputs(
                wanted, kernelVersion: settings.kernelVersion, findExecutable: probe.findExecutable, logger: logger)
        }
        return Checked(
            outputDirectory: directory, compressor: compressor, temporaryParent: temporaryParent, uefi: uefi)
    }

    /// The image must be a file or not exist yet, in a directory that exists and can be written.
    func checkOutput(_ output: String) throws(PreflightError) -> String {
        if settings.createsOutputDirectory {
            // dracut makes the ESP's EFI/Linux for the default UEFI executable.
            try? FileManager.default.createDirectory(atPath: Self.directory(of: output), withIntermediateDirectories: true)
        }
        switch probe.kind(of: output) {
        case .directory: throw .outputNotAFile(path: output, kind: "a directory")
        case .other(let kind): throw .outputNotAFile(path: output, kind: kind)
        case .missing, .regularFile: break
        }
        let directory = Self.directory(of: output)
        guard probe.kind(of: directory) == .directory else { throw .outputDirectoryMissing(directory) }
        let error = probe.writeError(directory: directory)
        guard error == 0 else { throw .outputDirectoryNotWritable(directory, errno: error) }
        return directory
    }

    /// The compressor is resolved now, so a misspelt or missing one stops the build before it starts.
    func checkCompressor(_ setting: String) throws(PreflightError) -> Compressor {
        do {
            return try Compressor(setting, levels: settings.image.compressionLevels, findExecutable: probe.findExecutable)
        } catch {
            throw .compressor(setting: setting, reason: error.reason)
        }
    }

    /// The kernel's module directory: it must exist, and a --kmoddir must be named for the kernel.
    func checkKernel() throws(PreflightError) {
        guard !settings.noKernel else { return }
        do {
            if let driversDirectory = settings.paths.driversDirectory, !kernelDirectoryOverride {
                try KernelModuleDirectory.checkDriversDirectory(driversDirectory, kernelVersion: settings.kernelVersion)
            }
            if let warning = try KernelModuleDirectory.checkContents(of: settings.paths.kernelModules) {
                logger.warning(warning)
            }
        } catch {
            throw .kernel(error.description)
        }
    }

    /// --tmpdir must be a directory that can be written; it is named by its real path from then on.
    func checkTemporaryDirectory(_ parent: String) throws(PreflightError) -> String {
        guard !PathBytes.carriesRawBytes(parent) else { throw .temporaryDirectoryName(parent) }
        switch probe.kind(of: parent) {
        case .directory: break
        case .missing(let error): throw .temporaryDirectory(parent, errno: error)
        case .regularFile, .other: throw .temporaryDirectory(parent, errno: ENOTDIR)
        }
        let error = probe.writeError(directory: parent)
        guard error == 0 else { throw .temporaryDirectory(parent, errno: error) }
        return Self.realPath(parent)
    }

    /// The --explain and --explain-svg files are written at the end, as the image is: the same rules.
    func checkExplainFile(_ path: String, for output: ExplainOutput) throws(PreflightError) {
        switch probe.kind(of: path) {
        case .directory: throw .explainFile(output, path: path, reason: "it is a directory, not a file")
        case .other(let kind): throw .explainFile(output, path: path, reason: "it is \(kind), not a file")
        case .missing, .regularFile: break
        }
        let directory = Self.directory(of: path)
        guard probe.kind(of: directory) == .directory else {
            throw .explainFile(output, path: path, reason: "directory \(directory) does not exist")
        }
        let error = probe.writeError(directory: directory)
        guard error == 0 else { throw .explainFile(output, path: path, reason: "\(directory): \(systemErrorDescription(error))") }
    }

    /// The directory a path names a file in: "." for a bare name, "/" for a file at the root.
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private static func realPath(_ path: String) -> String {
        guard let resolved = PathBytes.withCString(path, { realpath($0, nil) }) else { return path }
        defer { free(resolved) }
        return PathBytes.string(UnsafeBufferPointer(start: resolved, count: strlen(resolved)).map { UInt8(bitPattern: $0) })
    }
}
