/// Why an ELF file could not be read. The description is one line naming the file and the problem,
/// e.g. `/x/y: not an ELF file` or `/x/y: truncated ELF program header table`.
public struct ELFError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Reason: Equatable, Sendable {
        /// The file could not be opened or read (the text is the system's explanation).
        case unreadable(String)
        /// The file does not start with the ELF magic number.
        case notELF
        /// A header, table or segment extends past the end of the file (the text names it).
        case truncated(String)
        /// A field holds a value that no valid ELF file could (the text says which).
        case corrupt(String)
        /// A valid ELF file in a variant this reader does not handle (the text says which).
        case unsupported(String)
    }

    public let path: String
    public let reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .unreadable(let explanation): "\(path): cannot read: \(explanation)"
        case .notELF: "\(path): not an ELF file"
        case .truncated(let part): "\(path): truncated ELF \(part)"
        case .corrupt(let problem): "\(path): corrupt ELF file: \(problem)"
        case .unsupported(let variant): "\(path): unsupported ELF file: \(variant)"
        }
    }
}
