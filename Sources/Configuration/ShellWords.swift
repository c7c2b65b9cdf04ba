/// Splits text into words the way bash's `eval set -- TEXT` does for what dracut stores in
/// build-parameter.txt: blanks separate words, quotes and backslashes group and escape.
/// Expansions ($, `, globs) are not performed: dracut's stored parameters never rely on them.
public enum ShellWords {
    public static func split(_ text: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var iterator = Array(text).makeIterator()
        while let character = iterator.next() {
            switch character {
            case " ", "\t", "\n":
                if inWord { words.append(current) }
                current = ""
                inWord = false
            case "'":
                inWord = true
                guard let closed = readUntil("'", &iterator) else { throw unterminated("'") }
                current += closed
            case "\"":
                inWord = true
                var closedQuote = false
                while let next = iterator.next() {
                    if next == "\"" { closedQuote = true; break }
                    if next == "\\", let escaped = iterator.next() {
                        // Inside double quotes a backslash escapes only these.
                        if "$`\"\\".contains(escaped) {
                            current.append(escaped)
                        } else if escaped != "\n" {
                            current.append("\\"); current.append(escaped)
                        }
                    } else {
                        current.append(next)
                    }
                }
                guard closedQuote else { throw unterminated("\"") }
            case "\\":
                inWord = true
                if let escaped = iterator.next(), escaped != "\n" { current.append(escaped) }
            default:
                inWord = true
                current.append(character)
            }
        }
        if inWord { words.append(current) }
        return words
    }

    private static func readUntil(_ end: Character, _ iterator: inout IndexingIterator<[Character]>) -> String? {
        var text = ""
        while let next = iterator.next() {
            if next == end { return text }
            text.append(next)
        }
        return nil
    }

    private static func unterminated(_ quote: String) -> ConfigError {
        ConfigError(description: "unterminated \(quote) in the stored build parameters")
    }
}
