#if canImport(Glibc)
import Glibc
#endif
import Support

/// Config files that are only comments and plain assignments (`name="value"`, `name+=' words '`),
/// as nearly all dracut.conf files are, read without starting bash.
///
/// The grammar is narrow on purpose: a line that bash could read in more than one way (an
/// expansion, an escape, a command, an array, several words) makes the whole reading go to
/// `ConfigEvaluator`'s bash, so whatever is read here means what bash would make of it.
struct PlainAssignments {
    struct Assignment: Equatable {
        var name: String
        var appends: Bool
        var value: String
    }

    let assignments: [Assignment]

    /// nil when any line is not a comment, a blank line or a plain assignment.
    init?(_ text: [UInt8]) {
        var assignments: [Assignment] = []
        for line in text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            guard let parsed = Self.parse(line) else { return nil }
            if let assignment = parsed.assignment { assignments.append(assignment) }
        }
        self.assignments = assignments
    }

    /// The files' variables after `presets`, and for each watched name a file changed, the last such
    /// file, as `ConfigEvaluator.read` gives them; nil when a file is not plain (or not readable).
    static func read(
        files: [String], presets: ShellVariables, watching watched: [String]
    ) -> (variables: ShellVariables, origins: [String: String])? {
        var variables = presets
        var origins: [String: String] = [:]
        for file in files {
            guard let text = regularFileBytes(atPath: file), let plain = PlainAssignments(text) else { return nil }
            let before = watched.map { variables.values[$0] }
            for assignment in plain.assignments {
                var value = assignment.value
                switch variables.values[assignment.name] {
                case nil: break
                case .scalar(let old): if assignment.appends { value = old + value }
                // `name=value` sets an array's first element only: bash's business.
                case .array, .associative: return nil
                }
                variables.set(assignment.name, .scalar(value))
            }
            for (name, old) in zip(watched, before) where variables.values[name] != old { origins[name] = file }
        }
        return (variables, origins)
    }

    private enum Line {
        case nothing
        case assignment(Assignment)
        var assignment: Assignment? {
            if case .assignment(let assignment) = self { return assignment }
            return nil
        }
    }

    private static func parse(_ line: ArraySlice<UInt8>) -> Line? {
        // Printable ASCII and tabs only: no carriage return, no other encoding to get wrong.
        guard line.allSatisfy({ $0 == 9 || (32...126).contains($0) }) else { return nil }
        var rest = line.drop(while: isBlank)
        if rest.isEmpty || rest.first == UInt8(ascii: "#") { return .nothing }
        let name = rest.prefix(while: isNameByte)
        guard let first = name.first, isLowercaseOrUnderscore(first), name.count > 1 || first != UInt8(ascii: "_"),
            !name.starts(with: Array("__kindling".utf8))
        else { return nil }
        rest = rest.dropFirst(name.count)
        let appends = rest.first == UInt8(ascii: "+")
        if appends { rest = rest.dropFirst() }
        guard rest.first == UInt8(ascii: "=") else { return nil }
        rest = rest.dropFirst()
        guard let (value, after) = word(rest) else { return nil }
        let tail = after.drop(while: isBlank)
        // A comment needs a blank before it; anything else is another word or command.
        guard tail.isEmpty || (tail.first == UInt8(ascii: "#") && tail.count < after.count) else { return nil }
        return .assignment(Assignment(name: String(decoding: name, as: UTF8.self), appends: appends, value: value))
    }

    /// The value word: empty, one single- or double-quoted string without anything bash would
    /// expand or unescape, or an unquoted run of safe characters.
    private static func word(_ text: ArraySlice<UInt8>) -> (String, ArraySlice<UInt8>)? {
        guard let first = text.first, !isBlank(first) else { return ("", text) }
        let quote = first
        if quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") {
            let body = text.dropFirst().prefix(while: { $0 != quote })
            guard body.count + 1 < text.count else { return nil }  // no closing quote
            if quote == UInt8(ascii: "\""), body.contains(where: { Array("$`\\!".utf8).contains($0) }) { return nil }
            let after = text.dropFirst(body.count + 2)
            // `"a"b` or `'a''b'`: one word of several parts.
            if let next = after.first, !isBlank(next) { return nil }
            return (String(decoding: body, as: UTF8.self), after)
        }
        let body = text.prefix(while: isPlainWordByte)
        let after = text.dropFirst(body.count)
        guard body.first != UInt8(ascii: "~"), after.first.map(isBlank) ?? true else { return nil }
        return (String(decoding: body, as: UTF8.self), after)
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == 32 || byte == 9 }

    private static func isLowercaseOrUnderscore(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || byte == UInt8(ascii: "_")
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        isLowercaseOrUnderscore(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// Letters, digits and `_ . / , @ % : + -`: nothing bash expands, globs or splits.
    private static func isPlainWordByte(_ byte: UInt8) -> Bool {
        isNameByte(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || Array("./,@%:+-".utf8).contains(byte)
    }
}
