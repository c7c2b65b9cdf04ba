import Support

/// A bash variable's value, as dracut's globals hold them.
public enum ShellValue: Equatable, Sendable {
    case scalar(String)
    case array([String])
    case associative([String: String])

    /// The value as `$name` expands: an array gives its first element.
    public var text: String {
        switch self {
        case .scalar(let value): return value
        case .array(let values): return values.first ?? ""
        case .associative(let values): return values["0"] ?? ""
        }
    }

    /// The words of a space-separated list, or the elements of an array (each split in words).
    public var words: [String] {
        switch self {
        case .scalar(let value): return value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
        case .array(let values): return values.flatMap { ShellValue.scalar($0).words }
        case .associative(let values): return values.values.sorted().flatMap { ShellValue.scalar($0).words }
        }
    }

    /// A bash statement that recreates the variable at global scope.
    public func declaration(of name: String) -> String {
        switch self {
        case .scalar(let value):
            return "declare -g \(name)=\(shellQuote(value))"
        case .array(let values):
            return "declare -ga \(name)=(\(values.map(shellQuote).joined(separator: " ")))"
        case .associative(let values):
            let pairs = values.sorted { $0.key < $1.key }.map { "[\(shellQuote($0.key))]=\(shellQuote($0.value))" }
            return "declare -gA \(name)=(\(pairs.joined(separator: " ")))"
        }
    }
}

/// dracut's global namespace: the variables the config files set, then the command line's.
public struct ShellVariables: Equatable, Sendable {
    public private(set) var values: [String: ShellValue] = [:]

    public init(_ values: [String: ShellValue] = [:]) { self.values = values }

    public subscript(name: String) -> String? {
        get { values[name]?.text }
        set { values[name] = newValue.map(ShellValue.scalar) }
    }

    /// `[[ $name ]]`: set and not empty.
    public func has(_ name: String) -> Bool { !(self[name] ?? "").isEmpty }

    public func words(_ name: String) -> [String] { values[name]?.words ?? [] }

    public mutating func set(_ name: String, _ value: ShellValue) { values[name] = value }

    public mutating func remove(_ name: String) { values[name] = nil }

    /// `name+=" words "`, the way dracut pads its lists.
    public mutating func append(_ name: String, words: [String]) {
        guard !words.isEmpty else { return }
        self[name] = (self[name] ?? "") + " " + words.joined(separator: " ") + " "
    }

    /// `name+=("element")`.
    public mutating func appendElement(_ name: String, _ element: String) {
        switch values[name] {
        case .array(let elements)?: values[name] = .array(elements + [element])
        case .scalar(let text)? where !text.isEmpty: values[name] = .array([text, element])
        default: values[name] = .array([element])
        }
    }

    /// The elements of an array variable (a scalar is one element).
    public func elements(_ name: String) -> [String] {
        switch values[name] {
        case .array(let elements)?: return elements
        case .scalar(let text)?: return text.isEmpty ? [] : [text]
        case .associative(let table)?: return table.keys.sorted().compactMap { table[$0] }
        case nil: return []
        }
    }

    /// Statements recreating every variable, in a stable order.
    public var declarations: String {
        values.keys.sorted().map { values[$0]!.declaration(of: $0) }.joined(separator: "\n")
    }
}
