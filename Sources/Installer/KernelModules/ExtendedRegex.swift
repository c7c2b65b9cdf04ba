#if canImport(Glibc)
import Glibc
#endif

/// A compiled POSIX extended regular expression (regcomp with REG_EXTENDED | REG_NOSUB), the
/// dialect dracut-install's module filters use. Answers are remembered per subject: the symbol
/// filter asks about the same few thousand symbol names for every module of a directory walk.
public final class ExtendedRegex {
    public let pattern: String
    private let compiled: UnsafeMutablePointer<regex_t>
    private var answers: [String: Bool] = [:]

    public init(_ pattern: String) throws(KernelModuleError) {
        let regex = UnsafeMutablePointer<regex_t>.allocate(capacity: 1)
        let status = regcomp(regex, pattern, REG_EXTENDED | REG_NOSUB)
        guard status == 0 else {
            var message = [CChar](repeating: 0, count: 256)
            regerror(status, regex, &message, message.count)
            regex.deallocate()
            throw .invalidPattern(pattern: pattern, message: String(nulTerminated: message))
        }
        self.pattern = pattern
        compiled = regex
    }

    deinit {
        regfree(compiled)
        compiled.deallocate()
    }

    /// Whether the pattern matches anywhere in `subject`, as regexec does.
    public func matches(_ subject: String) -> Bool {
        if let known = answers[subject] { return known }
        let found = regexec(compiled, subject, 0, nil, 0) == 0
        answers[subject] = found
        return found
    }
}
