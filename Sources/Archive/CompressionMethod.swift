#if canImport(Glibc)
import Glibc
#endif
import Support

/// How the main archive is compressed, resolved from dracut's `compress` setting (`--compress`,
/// `--zstd` and friends, `INITRD_COMPRESS`, `compress=` in dracut.conf).
///
/// Like dracut, a bare name gets fixed arguments and a value with arguments is a command line
/// used verbatim. gzip is the exception: `gzip`/`pigz`, with or without options that only set
/// the level, threads or naming, run in process on all cores. An empty setting means that
/// parallel gzip too (dracut would pick the first compressor it finds installed). A tool that
/// is not installed is an error rather than dracut's silent fallback, so the image is never
/// compressed differently from what was asked.
public enum CompressionMethod: Equatable, Sendable {
    /// `cat`: the archive is written as is.
    case none
    /// gzip in process (`ParallelGzipSink`); a nil thread count means one per processor.
    case parallelGzip(level: Int, threadCount: Int?)
    /// An external compressor reading the archive on standard input.
    case command(executable: String, arguments: [String])

    /// - Parameters:
    ///   - levels: dracut-ng's compress_level_NAME, by NAME (bzip2, gzip, lz4, lzma, lzop, xz,
    ///     zstd): the level a bare compressor name runs at instead of dracut's fixed one.
    ///   - findExecutable: resolves a tool name to a runnable path, nil when missing.
    public init(
        dracutSetting setting: String, levels: [String: Int] = [:],
        findExecutable: (String) -> String? = findExecutableInSearchPath
    ) throws(ArchiveError) {
        let words = setting.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
        guard let name = words.first else {
            self = .parallelGzip(level: levels["gzip"] ?? 9, threadCount: nil)
            return
        }
        let arguments = Array(words.dropFirst())
        if (name == "gzip" || name == "pigz") && arguments.isEmpty {
            self = .parallelGzip(level: levels["gzip"] ?? 9, threadCount: nil)
        } else if name == "gzip" || name == "pigz", let options = GzipOptions(arguments) {
            self = .parallelGzip(level: options.level, threadCount: options.threadCount)
        } else if (name == "cat" || name == "none") && arguments.isEmpty {
            self = .none
        } else {
            let commandLine =
                arguments.isEmpty
                ? Self.dracutCommandLine(for: name, levels: levels, findExecutable: findExecutable) ?? [name] : words
            guard let executable = findExecutable(commandLine[0]) else {
                throw ArchiveError.toolMissing(tool: commandLine[0], purpose: "compress the image")
            }
            self = .command(executable: executable, arguments: Array(commandLine.dropFirst()))
        }
    }

    /// The names a setting may give alone, as dracut knows them.
    public static let settingNames = [
        "gzip", "pigz", "zstd", "xz", "lzma", "lz4", "lzo", "lzop", "bzip2", "lbzip2", "cat", "none",
    ]

    /// dracut's arguments for a bare compressor name: 059's fixed levels, or dracut-ng's
    /// compress_level_NAME in their place (xz has no level unless one is given).
    private static func dracutCommandLine(
        for name: String, levels: [String: Int], findExecutable: (String) -> String?
    ) -> [String]? {
        func level(_ family: String, _ fallback: Int) -> String { "-\(levels[family] ?? fallback)" }
        switch name {
        case "zstd": return ["zstd", level("zstd", 15), "-q", "-T0"]
        case "xz": return ["xz"] + (levels["xz"].map { ["-\($0)"] } ?? []) + ["--check=crc32", "--lzma2=dict=1MiB", "-T0"]
        case "lzma": return ["lzma", level("lzma", 9), "-T0"]
        // The kernel reads only the legacy lz4 frame format.
        case "lz4": return ["lz4", "-l", level("lz4", 9)]
        case "lzo", "lzop": return ["lzop", level("lzop", 9)]
        // lbzip2 writes the same format on all cores.
        case "bzip2", "lbzip2":
            return [name == "lbzip2" || findExecutable("lbzip2") != nil ? "lbzip2" : "bzip2", level("bzip2", 9)]
        default: return nil
        }
    }

    /// Compression ahead of the writing, for a method that can use it: the parallel gzip.
    public func makeAdvanceDeflation() throws(ArchiveError) -> AdvanceDeflation? {
        guard case .parallelGzip(let level, _) = self else { return nil }
        return try AdvanceDeflation(level: level)
    }

    /// A sink that compresses into `file`; finishing it finishes `file` too. The parallel gzip
    /// takes the blocks `advance` made, if it made them at its level.
    public func makeSink(writingTo file: FileSink, advance: AdvanceDeflation? = nil) throws -> any ByteSink {
        switch self {
        case .none:
            return file
        case .parallelGzip(let level, let threadCount):
            return try ParallelGzipSink(
                level: level, threadCount: threadCount ?? availableProcessorCount(), advance: advance,
                forwardingTo: file)
        case .command(let executable, let arguments):
            guard file.fileDescriptor >= 0 else { throw ArchiveError.misuse("compress into a file that was finished") }
            // The tool writes to the descriptor itself: what the file sink holds must go first.
            try file.flush()
            let command = try CommandSink(
                tool: executable, arguments: arguments, outputFileDescriptor: file.fileDescriptor)
            return ExternalCompressorSink(command: command, file: file)
        }
    }
}

/// The gzip and pigz options the in-process gzip can honour; nil when there is any other.
/// `--rsyncable` (`-R`) only helps rsync and is ignored: the output is standard gzip either way.
struct GzipOptions: Equatable {
    var level = 9
    var threadCount: Int?

    init?(_ arguments: [String]) {
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            switch argument {
            case "--fast": level = 1
            case "--best": level = 9
            case "-n", "--no-name", "-T", "--no-time", "-R", "--rsyncable",
                "-c", "--stdout", "-q", "--quiet", "-f", "--force":
                continue
            case "-p", "--processes":
                guard let count = remaining.popFirst().flatMap({ Int($0) }), count > 0 else { return nil }
                threadCount = count
            default:
                guard argument.count == 2, argument.first == "-",
                    let digit = argument.last?.wholeNumberValue, digit > 0
                else { return nil }
                level = digit
            }
        }
    }
}

/// An external compressor that writes straight into a file; finishing waits for the tool and
/// then finishes the file.
final class ExternalCompressorSink: ByteSink {
    private let command: CommandSink
    private let file: FileSink

    init(command: CommandSink, file: FileSink) {
        self.command = command
        self.file = file
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws { try command.write(bytes) }

    func finish() throws {
        try command.finish()
        try file.finish()
    }
}

/// `command -v`: a name with a slash must be executable itself; otherwise the first executable
/// regular file of that name in `$PATH`.
public func findExecutableInSearchPath(_ name: String) -> String? {
    findExecutable(name, searchPath: getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
}

/// `command -v` with `searchPath` (colon-separated) for `$PATH`: a host's, given as a value.
public func findExecutable(_ name: String, searchPath: String) -> String? {
    func isExecutableFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFREG && access(path, X_OK) == 0
    }
    if name.contains("/") { return isExecutableFile(name) ? name : nil }
    return searchPath.split(separator: ":", omittingEmptySubsequences: false)
        .map { ($0.isEmpty ? "." : String($0)) + "/" + name }
        .first(where: isExecutableFile)
}
