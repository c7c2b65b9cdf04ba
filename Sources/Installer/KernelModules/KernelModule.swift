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
        // ASCII paths (every module file's) in one pass over their bytes: splitting the whole
        // path into Strings for each of its dependencies made this a tenth of a kernel build.
        let fast = path.utf8.withContiguousStorageIfAvailable { bytes -> String? in
            let slash = UInt8(ascii: "/"), dot = UInt8(ascii: "."), dash = UInt8(ascii: "-")
            guard let last = bytes.last, last != slash, bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            let start = (bytes.lastIndex(of: slash) ?? -1) + 1
            let end = bytes[start...].firstIndex(of: dot) ?? bytes.count
            return String(decoding: bytes[start..<end].map { $0 == dash ? UInt8(ascii: "_") : $0 }, as: UTF8.self)
        }
        if let fast, let name = fast { return name }
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
