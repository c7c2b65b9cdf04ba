/// Quotes a value for bash so that evaluating it gives back exactly the value. It goes by Unicode
/// scalar, not Character: a quote followed by a combining mark is one Character, and would be
/// left unescaped.
public func shellQuote(_ value: String) -> String {
    var quoted = "'"
    for scalar in value.unicodeScalars {
        if scalar == "'" { quoted += "'\\''" } else { quoted.unicodeScalars.append(scalar) }
    }
    return quoted + "'"
}
