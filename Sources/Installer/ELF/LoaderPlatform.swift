/// What the target's loader was built with, which depends on the architecture and on the
/// distribution's layout: its trusted default directories and the values of `$LIB` and `$PLATFORM`.
///
/// The loader's default directories are compiled into it, so they are inferred from the sysroot:
/// - Debian-style multiarch (a `lib/<triplet>` directory exists): `/lib/<triplet>`,
///   `/usr/lib/<triplet>`, `/lib`, `/usr/lib`, and `$LIB` is `lib/<triplet>`. This is what Debian's
///   `ld.so --help` lists, and `LD_DEBUG=libs` shows `$LIB` expanding to `lib/x86_64-linux-gnu`.
/// - otherwise, for 64-bit objects: `/lib64`, `/usr/lib64`, then `/lib`, `/usr/lib` (the class check
///   skips the 32-bit libraries there), and `$LIB` is `lib64` (Fedora, SUSE, Arch with lib64 -> lib).
/// - otherwise `/lib`, `/usr/lib`, and `$LIB` is `lib`.
struct LoaderPlatform: Equatable {
    let defaultDirectories: [String]
    let libraryDirectoryName: String
    /// The value of `$PLATFORM`: the kernel's AT_PLATFORM for the architecture. glibc may refine it
    /// from the CPU (e.g. `haswell`), which cannot be known for the machine that will boot the image.
    let platformName: String?
    /// The PT_INTERP path glibc's programs use for this ABI (ldd's list), most likely first.
    let standardInterpreters: [String]

    init(for file: ELFFile, in paths: SysrootPaths) throws(SysrootPathError) {
        platformName = Self.platformName(for: file)
        standardInterpreters = Self.standardInterpreters(for: file)
        if let triplet = try Self.multiarchTriplet(for: file, in: paths) {
            defaultDirectories = ["/lib/\(triplet)", "/usr/lib/\(triplet)", "/lib", "/usr/lib"]
            libraryDirectoryName = "lib/\(triplet)"
        } else if file.fileClass == .elf64 {
            defaultDirectories = ["/lib64", "/usr/lib64", "/lib", "/usr/lib"]
            libraryDirectoryName = "lib64"
        } else {
            defaultDirectories = ["/lib", "/usr/lib"]
            libraryDirectoryName = "lib"
        }
    }

    /// The first multiarch tuple with a library directory in the sysroot.
    private static func multiarchTriplet(for file: ELFFile, in paths: SysrootPaths) throws(SysrootPathError)
        -> String?
    {
        for triplet in multiarchTriplets(for: file) {
            let rootDirectory = try paths.resolve("/lib/\(triplet)")
            let usrDirectory = try paths.resolve("/usr/lib/\(triplet)")
            if rootDirectory != nil || usrDirectory != nil { return triplet }
        }
        return nil
    }

    /// Debian's multiarch tuples for the object's ABI, most likely first.
    static func multiarchTriplets(for file: ELFFile) -> [String] {
        let is64 = file.fileClass == .elf64, isLittle = file.endianness == .little
        switch file.machine {
        case .x86_64: return [is64 ? "x86_64-linux-gnu" : "x86_64-linux-gnux32"]
        case .i386: return ["i386-linux-gnu"]
        case .aarch64: return [isLittle ? "aarch64-linux-gnu" : "aarch64_be-linux-gnu"]
        case .arm: return ["arm-linux-gnueabihf", "arm-linux-gnueabi"]
        case .powerPC64: return [isLittle ? "powerpc64le-linux-gnu" : "powerpc64-linux-gnu"]
        case .powerPC: return ["powerpc-linux-gnu"]
        case .s390: return [is64 ? "s390x-linux-gnu" : "s390-linux-gnu"]
        case .riscV: return is64 ? ["riscv64-linux-gnu"] : []
        case .loongArch: return is64 ? ["loongarch64-linux-gnu"] : []
        case .mips:
            if is64 { return [isLittle ? "mips64el-linux-gnuabi64" : "mips64-linux-gnuabi64"] }
            return [isLittle ? "mipsel-linux-gnu" : "mips-linux-gnu"]
        default: return []
        }
    }

    /// glibc's interpreter names, fixed by each architecture's ABI.
    static func standardInterpreters(for file: ELFFile) -> [String] {
        let is64 = file.fileClass == .elf64, isLittle = file.endianness == .little
        switch file.machine {
        case .x86_64: return [is64 ? "/lib64/ld-linux-x86-64.so.2" : "/libx32/ld-linux-x32.so.2"]
        case .i386: return ["/lib/ld-linux.so.2"]
        case .aarch64: return [isLittle ? "/lib/ld-linux-aarch64.so.1" : "/lib/ld-linux-aarch64_be.so.1"]
        case .arm: return ["/lib/ld-linux-armhf.so.3", "/lib/ld-linux.so.3"]
        case .powerPC64: return [isLittle ? "/lib64/ld64.so.2" : "/lib64/ld64.so.1"]
        case .powerPC: return ["/lib/ld.so.1"]
        case .s390: return [is64 ? "/lib/ld64.so.1" : "/lib/ld.so.1"]
        case .riscV: return is64 ? ["/lib/ld-linux-riscv64-lp64d.so.1", "/lib/ld-linux-riscv64-lp64.so.1"] : []
        case .loongArch: return is64 ? ["/lib64/ld-linux-loongarch-lp64d.so.1"] : []
        default: return []
        }
    }

    private static func platformName(for file: ELFFile) -> String? {
        switch file.machine {
        case .x86_64: file.fileClass == .elf64 ? "x86_64" : nil
        case .i386: "i686"
        case .aarch64: "aarch64"
        default: nil
        }
    }

    /// Expands the loader's dynamic string tokens ($ORIGIN, $LIB, $PLATFORM, also in `${...}` form)
    /// in one search-path element or needed name. Nil when a token has no value, in which case the
    /// loader drops the element. Unknown `$NAME`s are kept literally, as glibc does.
    func expandTokens(in text: String, origin: String) -> String? {
        guard text.utf8.contains(UInt8(ascii: "$")) else { return text }
        var result = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            rest = rest[rest.index(after: dollar)...]
            let name: Substring
            let after: Substring
            if rest.first == "{", let close = rest.firstIndex(of: "}") {
                name = rest[rest.index(after: rest.startIndex)..<close]
                after = rest[rest.index(after: close)...]
            } else {
                let end = rest.firstIndex { !($0.isLetter || $0.isNumber || $0 == "_") } ?? rest.endIndex
                name = rest[..<end]
                after = rest[end...]
            }
            switch name {
            case "ORIGIN": result += origin
            case "LIB": result += libraryDirectoryName
            case "PLATFORM":
                guard let platformName else { return nil }
                result += platformName
            default:
                result += "$"
                continue  // keep the text after `$` literally
            }
            rest = after
        }
        return result + rest
    }
}
