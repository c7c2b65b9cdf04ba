/// dracut-install's kernel module filters. The path filters also prune `=subdir` walks; the name
/// filter (which carries omit_drivers) also applies to dependencies; the others only to the modules
/// named or walked, never to what those depend on.
public struct ModuleFilter {
    /// -p: keep a module only when its path matches.
    public var keepPath: ExtendedRegex?
    /// -P: drop a module whose path matches.
    public var dropPath: ExtendedRegex?
    /// -s: keep a module only when one of the symbols it imports matches.
    public var keepSymbol: ExtendedRegex?
    /// -S: drop a module when one of the symbols it imports matches.
    public var dropSymbol: ExtendedRegex?
    /// -N: drop a module by name.
    public var dropName: ExtendedRegex?

    public init(
        keepPath: ExtendedRegex? = nil, dropPath: ExtendedRegex? = nil, keepSymbol: ExtendedRegex? = nil,
        dropSymbol: ExtendedRegex? = nil, dropName: ExtendedRegex? = nil
    ) {
        self.keepPath = keepPath
        self.dropPath = dropPath
        self.keepSymbol = keepSymbol
        self.dropSymbol = dropSymbol
        self.dropName = dropName
    }

    public var filtersSymbols: Bool { keepSymbol != nil || dropSymbol != nil }

    public func excludes(name: String) -> Bool {
        dropName?.matches(name) ?? false
    }

    /// Applied to module files and to the directories of a walk.
    public func accepts(path: String) -> Bool {
        if let dropPath, dropPath.matches(path) { return false }
        if let keepPath, !keepPath.matches(path) { return false }
        return true
    }

    public func accepts(importedSymbols symbols: [String]) -> Bool {
        if let dropSymbol, symbols.contains(where: dropSymbol.matches) { return false }
        if let keepSymbol { return symbols.contains(where: keepSymbol.matches) }
        return true
    }
}
