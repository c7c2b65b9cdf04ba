/// What the options do to dracut's variables, gathered in command-line order, then applied in one
/// place: before the config files (dracut's early options) or after them (all the others).
struct OptionAssignments {
    /// Set before the config files, so a config file that sets them wins.
    private(set) var presets = ShellVariables()
    /// Scalars and array elements, in order.
    private var assignments: [(name: String, value: String, appendsElement: Bool)] = []
    /// List options: dracut gathers each one's values in an array and appends them once (`x+=" a b "`).
    private var appended: [(name: String, values: [String])] = []
    /// Repeated options accumulate among themselves, then replace the config value.
    private var replaced: [(name: String, value: String)] = []

    mutating func add(_ effect: OptionEffect, value: String?) {
        let value = value ?? ""
        switch effect {
        case .early(let name, let fixed): presets.set(name, .scalar(fixed))
        case .earlyValue(let name): presets.set(name, .scalar(value))
        case .appendList(let name):
            if let index = appended.firstIndex(where: { $0.name == name }) {
                appended[index].values.append(value)
            } else {
                appended.append((name, [value]))
            }
        case .appendElement(let name): assignments.append((name, value, true))
        case .replaceList(let name):
            if let index = replaced.firstIndex(where: { $0.name == name }) {
                replaced[index].value += " " + value
            } else {
                replaced.append((name, value))
            }
        case .scalar(let name): assignments.append((name, value, false))
        case .set(let name, let fixed): assignments.append((name, fixed, false))
        case .several(let effects): effects.forEach { add($0, value: value) }
        case .command: break
        }
    }

    /// The variables after the config files, with the options applied.
    func apply(to variables: inout ShellVariables) {
        for (name, value, appendsElement) in assignments {
            if appendsElement { variables.appendElement(name, value) } else { variables.set(name, .scalar(value)) }
        }
        for (name, value) in replaced { variables.set(name, .scalar(value)) }
        for (name, values) in appended { variables.append(name, words: values) }
    }
}
