/// A kernel module as the module index knows it.
public struct KernelModule: Hashable, Sendable {
    /// The normalised name (underscores), as in modules.dep and /proc/modules.
    public let name: String
    /// The module's file on the host; nil for a builtin or for a name with no file.
    public let path: String?
    /// Built into the kernel image (modules.builtin): nothing to install.
    public let isBuiltin: Bool

    public init(name: String, path: String?, isBuiltin: Bool = false) {
        self.name = name
        self.path = path
        self.isBuiltin = isBuiltin
    }

    /// The module name a file stands for, as libkmod derives it: the base name up to the first
    /// dot, with dashes turned into underscores.
    public static func name(ofFile path: String) -> String {
        let base = path.split(separator: "/").last.map(String.init) ?? path
        return String(base.prefix { $0 != "." }.map { $0 == "-" ? "_" : $0 })
    }
}

/// What a module file says about itself, read once per build: the file is opened (and
/// decompressed) a single time for both.
public struct ModuleFileFacts: Sendable, Equatable {
    /// The undefined symbols it imports from the kernel and other modules (its __versions list).
    public let importedSymbols: [String]
    /// Its modinfo `firmware=` entries.
    public let firmware: [String]
}

extension String {
    /// The text of a NUL-terminated C buffer.
    init(nulTerminated buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
