#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Support

/// A dracut module: a directory `NNname` holding module-setup.sh (or the legacy check/install scripts).
public struct Module: Equatable, Hashable, Sendable {
    /// The directory name less its two leading digits.
    public var name: String
    /// The directory's own name, `NNname`; modules are visited in the byte order of this.
    public var directoryName: String
    public var directory: String
    /// Its module-setup.sh (which a legacy module lacks).
    public var setupScript: String { directory + "/module-setup.sh" }

    public init(directory: String) {
        self.directory = directory
        directoryName = (directory as NSString).lastPathComponent
        name = String(directoryName.dropFirst(2))
    }
}

/// Finds modules on the module path. The first directory that defines a name wins, so a
/// module directory named earlier shadows Kindling's own modules of the same name.
public struct ModuleCatalog: Sendable {
    /// Every usable module, in the order dracut visits them.
    public let modules: [Module]

    public init(searchPath: [String]) {
        var byName: [String: Module] = [:]
        for directory in searchPath {
            // readdir, as bytes: a module directory whose name is not UTF-8 is still found.
            let entries = directoryEntries(directory) ?? []
            for entry in entries.sorted(by: Self.byteOrder) where Self.looksLikeModule(entry) {
                let module = Module(directory: directory + "/" + entry)
                guard byName[module.name] == nil, Self.hasModuleScripts(module.directory) else { continue }
                byName[module.name] = module
            }
        }
        modules = byName.values.sorted {
            $0.directoryName == $1.directoryName
                ? $0.directory < $1.directory : Self.byteOrder($0.directoryName, $1.directoryName)
        }
    }

    public subscript(name: String) -> Module? {
        modules.first { $0.name == name }
    }

    /// dracut globs `[0-9][0-9]*` under LC_ALL=C.
    static func looksLikeModule(_ entry: String) -> Bool {
        let bytes = PathBytes.bytes(entry)
        return bytes.count > 2 && bytes[0] >= 48 && bytes[0] <= 57 && bytes[1] >= 48 && bytes[1] <= 57
    }

    static func hasModuleScripts(_ directory: String) -> Bool {
        guard fileType(directory) == S_IFDIR else { return false }
        return ["module-setup.sh", "install", "installkernel"].contains { fileType(directory + "/" + $0) != nil }
    }

    static func byteOrder(_ lhs: String, _ rhs: String) -> Bool {
        PathBytes.bytes(lhs).lexicographicallyPrecedes(PathBytes.bytes(rhs))
    }
}
