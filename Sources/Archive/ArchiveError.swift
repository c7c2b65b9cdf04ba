#if canImport(Glibc)
import Glibc
#endif

/// Everything that can go wrong while writing, reading or extracting an archive.
/// Each case's description is one line that names what failed.
public enum ArchiveError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A system call failed: `operation` says what was being done to `path`.
    case system(operation: String, path: String, errno: Int32)
    /// An entry handed to the writer cannot be stored in a newc archive.
    case invalidEntry(path: String, reason: String)
    /// A source file changed size while it was being copied into the archive.
    case sourceChanged(path: String)
    /// The input ended in the middle of something. `location` reads like "byte 512 of 'x.img'".
    case truncated(what: String, location: String)
    /// The input holds bytes that are not a valid archive or compressed stream.
    case corrupt(what: String, location: String)
    /// The input is in a format this reader does not handle.
    case unsupportedFormat(what: String, location: String)
    /// zlib reported an error.
    case compression(operation: String, message: String)
    /// An external compressor or decompressor is not installed; `purpose` reads like
    /// "decompress zstd data".
    case toolMissing(tool: String, purpose: String)
    /// An external compressor or decompressor failed.
    case toolFailed(tool: String, status: Int32, message: String)
    /// Extraction refused a member: its path would leave the destination directory, or its
    /// file type is unknown.
    case refusedMember(path: String, reason: String)
    /// Something was used after `finish()` or otherwise out of order.
    case misuse(String)

    public var description: String {
        switch self {
        case .system(let operation, let path, let errno):
            return "cannot \(operation) '\(path)': \(String(cString: strerror(errno)))"
        case .invalidEntry(let path, let reason):
            return "cannot archive '\(path)': \(reason)"
        case .sourceChanged(let path):
            return "'\(path)' changed size while it was being archived"
        case .truncated(let what, let location):
            return "truncated input: \(what) ends early, at \(location)"
        case .corrupt(let what, let location):
            return "corrupt input: \(what), at \(location)"
        case .unsupportedFormat(let what, let location):
            return "unsupported format: \(what), at \(location)"
        case .compression(let operation, let message):
            return "\(operation) failed: \(message)"
        case .toolMissing(let tool, let purpose):
            return "cannot \(purpose): '\(tool)' is not installed"
        case .toolFailed(let tool, let status, let message):
            let detail = message.isEmpty ? "" : ": \(message)"
            return "'\(tool)' failed with exit status \(status)\(detail)"
        case .refusedMember(let path, let reason):
            return "refusing to extract '\(path)': \(reason)"
        case .misuse(let message):
            return message
        }
    }
}

extension ArchiveError {
    /// A `.system` error for the current `errno`.
    static func systemError(_ operation: String, _ path: String) -> ArchiveError {
        .system(operation: operation, path: path, errno: errno)
    }
}
