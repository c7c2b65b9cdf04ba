/// Why a file could not be installed into the image.
public enum InstallError: Error, CustomStringConvertible, Equatable {
    case notFound(String)
    case escapesSysroot(String)
    case unsafeDestination(String)
    /// A symlink in the image (one module code made) would take a write out of it.
    case escapesImage(String)
    case system(path: String, operation: String, message: String)
    /// A file the image would need that cannot be used (the text names it and says why).
    case unusableFile(String)
    /// A step of the image's layout or an --include that could not finish; the text is the line the user reads.
    case failed(String)

    public var description: String {
        switch self {
        case .notFound(let path): return "\(path): no such file"
        case .escapesSysroot(let message): return message
        case .unsafeDestination(let path): return "\(path): destination leaves the image (a '..' or a symlink out of it)"
        case .escapesImage(let message): return message
        case .system(let path, let operation, let message): return "\(path): cannot \(operation): \(message)"
        case .unusableFile(let message): return message
        case .failed(let message): return message
        }
    }
}
