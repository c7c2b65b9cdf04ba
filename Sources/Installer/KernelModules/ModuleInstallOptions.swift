/// How one `dracut-install -m` request treats what it is given.
public struct ModuleInstallOptions {
    /// -o: a module that is missing or filtered out does not fail the request.
    public var optional: Bool
    /// --silent: no error messages for modules that cannot be installed.
    public var silent: Bool
    public var filter: ModuleFilter
    /// Hostonly mode's allowed module names; nil installs whatever is asked for.
    public var hostModules: Set<String>?

    public init(
        optional: Bool = false, silent: Bool = false, filter: ModuleFilter = ModuleFilter(),
        hostModules: Set<String>? = nil
    ) {
        self.optional = optional
        self.silent = silent
        self.filter = filter
        self.hostModules = hostModules
    }
}

/// The arguments of dracut_instmods (`dracut-install -m`'s own options): options may come before,
/// between or after the module names, in `-p RE`, `--mod-filter-path RE` or `--mod-filter-path=RE`
/// form; `--` ends them.
public struct ModuleInstallRequest: Equatable {
    public var modules: [String] = []
    public var optional = false
    public var silent = false
    public var keepPath: String?
    public var dropPath: String?
    public var keepSymbol: String?
    public var dropSymbol: String?
    public var dropName: String?

    public init(modules: [String] = []) {
        self.modules = modules
    }

    public init(parsing words: [String]) throws(KernelModuleError) {
        var index = words.startIndex
        var optionsEnded = false
        while index < words.endIndex {
            let word = words[index]
            index += 1
            guard !optionsEnded, word.hasPrefix("-"), word != "-" else {
                modules.append(word)
                continue
            }
            if word == "--" { optionsEnded = true; continue }
            let (name, attached) = Self.split(word)
            switch name {
            case "-o", "--optional": optional = true
            case "--silent": silent = true
            case "-m", "--module": continue
            case "-p", "--mod-filter-path", "-P", "--mod-filter-nopath", "-s", "--mod-filter-symbol",
                "-S", "--mod-filter-nosymbol", "-N", "--mod-filter-noname":
                let value: String
                if let attached {
                    value = attached
                } else {
                    guard index < words.endIndex else { throw .invalidOption("dracut_instmods: \(name) needs a regular expression") }
                    value = words[index]
                    index += 1
                }
                assign(value, to: name)
            default:
                throw .invalidOption("dracut_instmods: unknown option \(word)")
            }
        }
    }

    /// The compiled options; patterns come from `compile`, which may cache them for the build.
    public func options(
        hostModules: Set<String>? = nil,
        compile: (String) throws(KernelModuleError) -> ExtendedRegex
    ) throws(KernelModuleError) -> ModuleInstallOptions {
        func compiled(_ pattern: String?) throws(KernelModuleError) -> ExtendedRegex? {
            guard let pattern, !pattern.isEmpty else { return nil }
            return try compile(pattern)
        }
        let filter = ModuleFilter(
            keepPath: try compiled(keepPath), dropPath: try compiled(dropPath), keepSymbol: try compiled(keepSymbol),
            dropSymbol: try compiled(dropSymbol), dropName: try compiled(dropName))
        return ModuleInstallOptions(optional: optional, silent: silent, filter: filter, hostModules: hostModules)
    }

    private mutating func assign(_ value: String, to option: String) {
        switch option {
        case "-p", "--mod-filter-path": keepPath = value
        case "-P", "--mod-filter-nopath": dropPath = value
        case "-s", "--mod-filter-symbol": keepSymbol = value
        case "-S", "--mod-filter-nosymbol": dropSymbol = value
        default: dropName = value
        }
    }

    private static func split(_ word: String) -> (String, String?) {
        guard word.hasPrefix("--"), let equals = word.firstIndex(of: "=") else { return (word, nil) }
        return (String(word[..<equals]), String(word[word.index(after: equals)...]))
    }
}
