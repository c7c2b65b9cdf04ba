#if canImport(Glibc)
import Glibc
#endif
import Support

/// `grep` (GNU grep 3.8 in the C locale, as dracut runs it) over named files, with -q -s -h -H -E
/// -F -G -v -i -y -x and -e. The patterns are glibc's POSIX regular expressions, the engine GNU
/// grep's own matcher derives from; only the plain syntax on which the two agree and for which
/// grep prints no warning is taken (`PlainPattern`). Declined: standard input, a file that cannot
/// be read or holds a NUL (grep would call it binary), and a file that is the standard output.
struct GrepStandIn {
    private var patterns: [String] = []
    private var syntax = PatternSyntax.basic
    private var quiet = false
    private var inverted = false
    private var ignoresCase = false
    private var wholeLines = false
    private var namesFiles: Bool?
    private var files: [String] = []

    init?(_ arguments: [String]) {
        guard let parsed = ShortOptions(arguments, flags: Set("qshHEFGviyx"), valued: ["e"]) else { return nil }
        for (letter, value) in parsed.options {
            switch letter {
            case "e": patterns.append(value ?? "")
            case "q": quiet = true
            case "v": inverted = true
            case "i", "y": ignoresCase = true
            case "x": wholeLines = true
            case "h": namesFiles = false
            case "H": namesFiles = true
            case "E": syntax = .extended
            case "F": syntax = .fixed
            case "G": syntax = .basic
            default: break  // -s: the stand-in prints no errors anyway
            }
        }
        var operands = parsed.operands
        if patterns.isEmpty {
            guard !operands.isEmpty else { return nil }
            patterns = [operands.removeFirst()]
        }
        guard !operands.isEmpty, operands.allSatisfy({ $0.hasPrefix("/") }) else { return nil }
        files = operands
    }

    func run(standardOutput: StandardOutput) -> ProgramResult? {
        guard let matcher = LineMatcher(patterns, syntax: syntax, ignoringCase: ignoresCase, wholeLines: wholeLines)
        else { return nil }
        let prefixesNames = namesFiles ?? (files.count > 1)
        var output: [UInt8] = []
        var selectedAny = false
        for file in files {
            guard let bytes = Self.text(of: file, standardOutput: quiet ? .notARegularFile : standardOutput) else {
                return nil
            }
            var start = 0
            while start < bytes.count {
                let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
                let line = bytes[start..<end]
                start = end + 1
                guard let matches = matcher.matches(line) else { return nil }
                guard matches != inverted else { continue }
                selectedAny = true
                if quiet { return .success }
                if prefixesNames { output += PathBytes.bytes(file) + [0x3A] }
                output += line
                output.append(0x0A)
            }
        }
        return ProgramResult(status: selectedAny ? 0 : 1, output: output)
    }

    /// A regular file's bytes, or nil where grep would print something on standard error.
    private static func text(of path: String, standardOutput: StandardOutput) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG, !standardOutput.mayBe(status)
        else { return nil }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                guard errno == EINTR else { return nil }
                continue
            }
            bytes += chunk[0..<count]
        }
        return bytes.contains(0) ? nil : bytes
    }
}

enum PatternSyntax {
    case basic, extended, fixed
}

/// Whether a line holds a match of any of the patterns.
struct LineMatcher {
    private let expressions: [CompiledExpression]
    private let fixedStrings: [[UInt8]]
    private let ignoresCase: Bool
    private let wholeLines: Bool

    init?(_ patterns: [String], syntax: PatternSyntax, ignoringCase: Bool, wholeLines: Bool) {
        ignoresCase = ignoringCase
        self.wholeLines = wholeLines
        let bytes = patterns.map(PathBytes.bytes)
        // A newline separates patterns in grep; an empty pattern matches every line.
        guard bytes.allSatisfy({ !$0.isEmpty && !$0.contains(0x0A) && !$0.contains(0) }) else { return nil }
        if syntax == .fixed {
            fixedStrings = ignoringCase ? bytes.map { $0.map(Self.lowercased) } : bytes
            expressions = []
            return
        }
        fixedStrings = []
        let extended = syntax == .extended
        var compiled: [CompiledExpression] = []
        for pattern in bytes {
            guard PlainPattern.isPlain(pattern, extended: extended) else { return nil }
            // As grep does for -x: the pattern in a group anchored at both ends.
            var anchored = pattern
            if wholeLines {
                anchored = extended ? Array("^(".utf8) + pattern + Array(")$".utf8) : Array("^\\(".utf8) + pattern + Array("\\)$".utf8)
            }
            guard let expression = CompiledExpression(anchored, extended: extended, ignoringCase: ignoringCase)
            else { return nil }
            compiled.append(expression)
        }
        expressions = compiled
    }

    /// Whether `line` (without its newline) matches; nil when matching failed.
    func matches(_ line: ArraySlice<UInt8>) -> Bool? {
        if expressions.isEmpty {
            let text = ignoresCase ? line.map(Self.lowercased) : Array(line)
            return fixedStrings.contains { wholeLines ? text == $0 : Self.contains(text, $0) }
        }
        var text = Array(line)
        text.append(0)
        for expression in expressions {
            guard let matched = expression.matches(text) else { return nil }
            if matched { return true }
        }
        return false
    }

    private static func contains(_ text: [UInt8], _ needle: [UInt8]) -> Bool {
        guard text.count >= needle.count else { return false }
        return (0...(text.count - needle.count)).contains { text[$0..<$0 + needle.count].elementsEqual(needle) }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
    }
}

/// A POSIX regular expression compiled by glibc.
private final class CompiledExpression {
    private var expression = regex_t()

    init?(_ pattern: [UInt8], extended: Bool, ignoringCase: Bool) {
        var flags = REG_NOSUB
        if extended { flags |= REG_EXTENDED }
        if ignoringCase { flags |= REG_ICASE }
        let status = (pattern + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { regcomp(&expression, $0.baseAddress, flags) }
        }
        guard status == 0 else { return nil }
    }

    deinit { regfree(&expression) }

    /// Whether the NUL-terminated `text` holds a match; nil on an error.
    func matches(_ text: [UInt8]) -> Bool? {
        let status = text.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { regexec(&expression, $0.baseAddress, 0, nil, 0) }
        }
        switch status {
        case 0: return true
        case 1: return false  // REG_NOMATCH, an enum case Swift does not import
        default: return nil
        }
    }
}

/// The regular expressions on which glibc's regcomp and GNU grep agree, and about which grep 3.8
/// prints no warning: printable ASCII; `^` only first and `$` only last; `.`, `*` and bracket
/// expressions (with character classes); escapes only of the special characters; groups and
/// alternation (`\(`, `\)`, `\|` in a basic expression); `\+`, `\?` or `+`, `?` after an atom. Not
/// taken: intervals, back-references, GNU escapes such as `\w` or `\<`, a repetition that starts
/// an expression, an empty group or alternative, and parentheses that do not pair.
enum PlainPattern {
    static func isPlain(_ pattern: [UInt8], extended: Bool) -> Bool {
        var index = 0
        var depth = 0
        // Whether what came last can be repeated (an atom), and whether a group or alternative
        // is still empty.
        var afterAtom = false
        var empty = true
        while index < pattern.count {
            let byte = pattern[index]
            guard (0x20...0x7E).contains(byte) || byte == 0x09 else { return false }
            index += 1
            switch byte {
            case UInt8(ascii: "^"):
                guard index == 1 else { return false }
            case UInt8(ascii: "$"):
                guard index == pattern.count else { return false }
            case UInt8(ascii: "*"):
                // One repetition per atom: grep warns about some stacked ones.
                guard afterAtom else { return false }
                afterAtom = false
            case UInt8(ascii: "["):
                guard let end = bracketEnd(pattern, from: index) else { return false }
                index = end
                afterAtom = true
                empty = false
            case UInt8(ascii: "\\"):
                guard index < pattern.count else { return false }
                let escaped = pattern[index]
                index += 1
                let operation = extended ? nil : Operation(escaped)
                if let operation {
                    guard apply(operation, depth: &depth, afterAtom: &afterAtom, empty: &empty) else { return false }
                } else {
                    guard Array(#".*[]^$\(){}|+?"#.utf8).contains(escaped) else { return false }
                    guard extended || Array(#".*[]^$\"#.utf8).contains(escaped) else { return false }
                    afterAtom = true
                    empty = false
                }
            default:
                if extended, let operation = Operation(byte) {
                    guard apply(operation, depth: &depth, afterAtom: &afterAtom, empty: &empty) else { return false }
                } else if extended && (byte == UInt8(ascii: "{") || byte == UInt8(ascii: "}")) {
                    return false
                } else {
                    afterAtom = true
                    empty = false
                }
            }
        }
        // Empty at the end: `^$` is whole, `a|` ends with an empty alternative.
        return depth == 0 && !(empty && pattern.last == UInt8(ascii: "|"))
    }

    private enum Operation {
        case open, close, alternative, repetition

        init?(_ byte: UInt8) {
            switch byte {
            case UInt8(ascii: "("): self = .open
            case UInt8(ascii: ")"): self = .close
            case UInt8(ascii: "|"): self = .alternative
            case UInt8(ascii: "+"), UInt8(ascii: "?"): self = .repetition
            default: return nil
            }
        }
    }

    private static func apply(_ operation: Operation, depth: inout Int, afterAtom: inout Bool, empty: inout Bool) -> Bool {
        switch operation {
        case .open:
            depth += 1
            afterAtom = false
            empty = true
        case .close:
            guard depth > 0, !empty else { return false }
            depth -= 1
            afterAtom = true
            empty = false
        case .alternative:
            guard !empty else { return false }
            afterAtom = false
            empty = true
        case .repetition:
            guard afterAtom else { return false }
            afterAtom = false
        }
        return true
    }

    /// The index after the `]` that closes the bracket expression opened before `start`; nil for
    /// one with a backslash, `[=`, `[.`, an unknown class, or no end.
    private static func bracketEnd(_ pattern: [UInt8], from start: Int) -> Int? {
        var index = start
        if index < pattern.count, pattern[index] == UInt8(ascii: "^") { index += 1 }
        if index < pattern.count, pattern[index] == UInt8(ascii: "]") { index += 1 }
        while index < pattern.count {
            let byte = pattern[index]
            switch byte {
            case UInt8(ascii: "]"):
                return index + 1
            case UInt8(ascii: "\\"):
                return nil
            case UInt8(ascii: "["):
                guard index + 1 < pattern.count else { return nil }
                let next = pattern[index + 1]
                if next == UInt8(ascii: "=") || next == UInt8(ascii: ".") { return nil }
                if next == UInt8(ascii: ":") {
                    guard let close = findClassEnd(pattern, from: index + 2) else { return nil }
                    let name = String(decoding: pattern[(index + 2)..<close], as: UTF8.self)
                    guard characterClasses.contains(name) else { return nil }
                    index = close + 2
                    continue
                }
                index += 1
            default:
                guard (0x20...0x7E).contains(byte) || byte == 0x09 else { return nil }
                index += 1
            }
        }
        return nil
    }

    private static func findClassEnd(_ pattern: [UInt8], from start: Int) -> Int? {
        var index = start
        while index + 1 < pattern.count {
            if pattern[index] == UInt8(ascii: ":") && pattern[index + 1] == UInt8(ascii: "]") { return index }
            index += 1
        }
        return nil
    }

    private static let characterClasses: Set<String> = [
        "alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper", "xdigit",
    ]
}
