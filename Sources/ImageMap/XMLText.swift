/// Text made safe for an XML document.
///
/// File names are bytes and may be any bytes but NUL and "/", while XML allows neither the C0
/// control characters (other than tab and line ends) nor U+FFFE and U+FFFF, even written as
/// character references. So the map shows names lossily: bytes that are not UTF-8 become U+FFFD,
/// as does every control character; the document stays valid whatever the image holds.
enum XMLText {
    /// `bytes` decoded as UTF-8, each invalid sequence and each control character as U+FFFD. Tab
    /// and line ends are legal XML but go too: a name or a step is one line of its tooltip.
    static func lossy(_ bytes: some Collection<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            scalars.append(isText(scalar) ? scalar : "\u{FFFD}")
        }
        return String(scalars)
    }

    /// Not a C0 or C1 control character, nor one of the two non-characters XML excludes.
    private static func isText(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00..<0x20, 0x7F..<0xA0, 0xFFFE, 0xFFFF: return false
        default: return true
        }
    }

    /// `text` for an element's content or a quoted attribute value: the five predefined entities.
    static func escaped(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            default: result.unicodeScalars.append(character)
            }
        }
        return result
    }

    /// At most `limit` characters of `text`, the last one an ellipsis when it was cut; nil when not
    /// even a few characters fit, so that a box too small for a word gets none.
    static func truncated(_ text: String, toFit limit: Int) -> String? {
        guard limit >= 3 else { return nil }
        guard text.count > limit else { return text }
        return String(text.prefix(limit - 1)) + "\u{2026}"
    }
}
