/// What the dynamic loader needs to know about one ELF file: who loads it (the program
/// interpreter), what it loads (DT_NEEDED) and where it asks the loader to look (DT_RPATH, DT_RUNPATH).
///
/// Only the headers, the dynamic segment and the dynamic string table are read, never the whole file.
public struct ELFFile: Equatable, Sendable {
    public enum Class: Equatable, Sendable {
        case elf32, elf64
    }

    public enum Endianness: Equatable, Sendable {
        case little, big
    }

    public enum ObjectType: Equatable, Sendable {
        case relocatable, executable, sharedObject, core
        case other(UInt16)
    }

    /// The path the file was read from.
    public let path: String
    public let fileClass: Class
    public let endianness: Endianness
    public let machine: Machine
    public let objectType: ObjectType
    /// The PT_INTERP path, e.g. `/lib64/ld-linux-x86-64.so.2`; nil for static programs and most libraries.
    public let interpreter: String?
    /// The DT_NEEDED names, in the order the loader processes them.
    public let neededLibraries: [String]
    /// The DT_RPATH string as stored (colon-separated, dynamic string tokens unexpanded).
    public let rpath: String?
    /// The DT_RUNPATH string as stored.
    public let runpath: String?
    public let soname: String?
    /// DF_1_NODEFLIB: the loader must not search ld.so.cache or the default directories for this object.
    public let ignoresDefaultLibraryPaths: Bool

    public init(
        path: String, fileClass: Class, endianness: Endianness, machine: Machine, objectType: ObjectType,
        interpreter: String? = nil, neededLibraries: [String] = [], rpath: String? = nil,
        runpath: String? = nil, soname: String? = nil, ignoresDefaultLibraryPaths: Bool = false
    ) {
        self.path = path
        self.fileClass = fileClass
        self.endianness = endianness
        self.machine = machine
        self.objectType = objectType
        self.interpreter = interpreter
        self.neededLibraries = neededLibraries
        self.rpath = rpath
        self.runpath = runpath
        self.soname = soname
        self.ignoresDefaultLibraryPaths = ignoresDefaultLibraryPaths
    }

    /// Parses the file at `path`.
    public init(contentsOf path: String) throws(ELFError) {
        self = try ELFParser(reader: BoundedFileReader(path: path)).parse()
    }

    /// Whether the file starts with the ELF magic number. Reads four bytes; never throws.
    public static func isELF(at path: String) -> Bool {
        guard let reader = try? BoundedFileReader(path: path), let magic = try? reader.prefix(4) else {
            return false
        }
        return magic == ELFParser.magic
    }

    /// Whether the loader would accept this file as a dependency of `requester`: same class, byte
    /// order and machine (a 32-bit libc found first on the path of a 64-bit program is skipped).
    public func isLoadable(by requester: ELFFile) -> Bool {
        fileClass == requester.fileClass && endianness == requester.endianness && machine == requester.machine
    }

    /// The dynamic linker's effective RPATH: glibc ignores DT_RPATH when DT_RUNPATH is present.
    var effectiveRPath: String? { runpath == nil ? rpath : nil }
}

extension ELFFile {
    /// The e_machine field. Only the architectures the resolver has defaults for are named.
    public struct Machine: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        public static let i386 = Machine(rawValue: 3)
        public static let mips = Machine(rawValue: 8)
        public static let powerPC = Machine(rawValue: 20)
        public static let powerPC64 = Machine(rawValue: 21)
        public static let s390 = Machine(rawValue: 22)
        public static let arm = Machine(rawValue: 40)
        // swift-format-ignore: AlwaysUseLowerCamelCase
        public static let x86_64 = Machine(rawValue: 62)
        public static let aarch64 = Machine(rawValue: 183)
        public static let riscV = Machine(rawValue: 243)
        public static let loongArch = Machine(rawValue: 258)

        public var description: String {
            switch self {
            case .i386: "i386"
            case .mips: "mips"
            case .powerPC: "ppc"
            case .powerPC64: "ppc64"
            case .s390: "s390"
            case .arm: "arm"
            case .x86_64: "x86-64"
            case .aarch64: "aarch64"
            case .riscV: "riscv"
            case .loongArch: "loongarch"
            default: "machine \(rawValue)"
            }
        }
    }
}
