/// Quotes a value for bash so that evaluating it gives back exactly the value.
public func shellQuote(_ value: String) -> String {
    var quoted = "'"
    for character in value {
        if character == "'" { quoted += "'\\''" } else { quoted.append(character) }
    }
    return quoted + "'"
}
