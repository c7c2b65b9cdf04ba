/// Whether `strip -g` could change a file, read from its ELF header and section names alone, so
/// that the strip pass starts the strip program only for files it would change.
///
/// On a distribution's binaries, which come stripped already, `strip -g` rewrites nothing: the
/// pass spent a process and a full read and rewrite of every executable for no change. The probe
/// answers `.unchanged` only when strip has nothing to remove: not an ELF file (strip refuses it
/// and leaves it as it is), or an executable or shared object with no symbol table, no
/// debugging section and its section table at the end of the file. Anything else, or anything it cannot read cleanly, goes to strip as before,
/// so the image's bytes are strip's in every case (Tests/integration/strip-identity.sh).
public enum StripProbe {
    public enum Verdict: Equatable, Sendable {
        /// strip -g leaves the file byte for byte as it is.
        case unchanged
        /// strip may change it: run it.
        case mayChange
    }

    /// Reads `count` bytes at `offset`, or nil when the file has fewer.
    public typealias Reader = (_ offset: UInt64, _ count: Int) -> [UInt8]?

    /// Bounds on what is read: more sections or a longer name table than any real file has is
    /// left to strip.
    static let sectionLimit = 65_280
    static let nameTableLimit = 1 << 20

    /// The verdict on a file of `size` bytes, with `aggressive` for dracut's --aggressive-strip
    /// (strip without -g, which also drops symbol tables: only non-ELF files are left alone).
    public static func verdict(size: UInt64, aggressive: Bool, read: Reader) -> Verdict {
        guard size >= 4, let magic = read(0, 4), magic == [0x7F, 0x45, 0x4C, 0x46] else { return .unchanged }
        if aggressive { return .mayChange }
        guard let header = read(0, 64) ?? read(0, 52), let layout = Layout(identification: header) else {
            return .mayChange
        }
        return sectionsVerdict(header: header, layout: layout, size: size, read: read) ?? .mayChange
    }

    /// nil when the headers are not what a plain executable or shared object has.
    private static func sectionsVerdict(header: [UInt8], layout: Layout, size: UInt64, read: Reader) -> Verdict? {
        guard header.count >= layout.headerSize else { return nil }
        let type = layout.half(header, 16)
        // ET_EXEC and ET_DYN only: relocatable objects (kernel modules) always have a symbol table.
        guard type == 2 || type == 3 else { return nil }
        let sectionOffset = layout.word(header, layout.is64 ? 40 : 32)
        let entrySize = Int(layout.half(header, layout.is64 ? 58 : 46))
        let count = Int(layout.half(header, layout.is64 ? 60 : 48))
        let namesIndex = Int(layout.half(header, layout.is64 ? 62 : 50))
        // No section table, extended numbering (count 0 or SHN_XINDEX) or an odd entry size.
        guard sectionOffset > 0, count > 0, count <= sectionLimit, namesIndex > 0, namesIndex < count,
            entrySize == layout.sectionHeaderSize
        else { return nil }
        let tableBytes = UInt64(count * entrySize)
        // The table ends the file, as the linker and strip lay it out: bytes after it would be
        // dropped by strip, so a file with any is left to strip.
        guard sectionOffset <= size, tableBytes == size - sectionOffset,
            let table = read(sectionOffset, Int(tableBytes))
        else { return nil }
        let sections = (0..<count).map { layout.section(table, at: $0 * entrySize) }
        let names = sections[namesIndex]
        guard names.type == 3, names.offset <= size, names.size <= UInt64(nameTableLimit),
            names.size <= size - names.offset, let nameTable = read(names.offset, Int(names.size))
        else { return nil }
        for section in sections.dropFirst() {
            // SHT_SYMTAB: strip -g drops its debugging symbols (file symbols among them).
            if section.type == 2 { return .mayChange }
            // SHF_COMPRESSED: left to strip, whatever the name says.
            if section.flags & 0x800 != 0 { return .mayChange }
            guard let name = name(at: section.nameOffset, in: nameTable) else { return nil }
            if isDebugging(name) { return .mayChange }
        }
        return .unchanged
    }

    /// Section names BFD marks as debugging, which strip -g removes, with their relocations, and
    /// the link-time optimisation sections, for safety: any of them sends the file to strip.
    static func isDebugging(_ name: [UInt8]) -> Bool {
        // .gnu_debuglink and .gnu_debugaltlink name a separate debug file; strip -g keeps them.
        if keptNames.contains(name) { return false }
        if debuggingPrefixes.contains(where: { name.starts(with: $0) }) { return true }
        // .debug_*, .rela.debug_*, .gnu_debugdata and the like.
        return name.count >= debugWord.count
            && (0...(name.count - debugWord.count)).contains { start in
                name[start..<start + debugWord.count].elementsEqual(debugWord)
            }
    }

    private static let keptNames = [Array(".gnu_debuglink".utf8), Array(".gnu_debugaltlink".utf8)]
    private static let debuggingPrefixes = [
        ".stab", ".line", ".gdb_index", ".zdebug", ".gnu.linkonce.wi.", ".gnu.lto_", ".gnu.debuglto_",
    ].map { Array($0.utf8) }
    private static let debugWord = Array("debug".utf8)

    private static func name(at offset: UInt32, in table: [UInt8]) -> [UInt8]? {
        let start = Int(offset)
        guard start < table.count, let end = table[start...].firstIndex(of: 0) else { return nil }
        return Array(table[start..<end])
    }

    struct Section {
        var nameOffset: UInt32
        var type: UInt32
        var flags: UInt64
        var offset: UInt64
        var size: UInt64
    }

    /// Class and byte order from e_ident.
    struct Layout {
        let is64: Bool
        let littleEndian: Bool

        init?(identification: [UInt8]) {
            guard identification.count >= 52, identification[6] == 1 else { return nil }
            switch identification[4] {
            case 1: is64 = false
            case 2: is64 = true
            default: return nil
            }
            switch identification[5] {
            case 1: littleEndian = true
            case 2: littleEndian = false
            default: return nil
            }
        }

        var headerSize: Int { is64 ? 64 : 52 }
        var sectionHeaderSize: Int { is64 ? 64 : 40 }

        func half(_ bytes: [UInt8], _ at: Int) -> UInt16 { UInt16(truncatingIfNeeded: integer(bytes, at, 2)) }
        func word32(_ bytes: [UInt8], _ at: Int) -> UInt32 { UInt32(truncatingIfNeeded: integer(bytes, at, 4)) }
        /// An address-sized field (e_shoff, sh_offset, ...).
        func word(_ bytes: [UInt8], _ at: Int) -> UInt64 { integer(bytes, at, is64 ? 8 : 4) }

        func section(_ table: [UInt8], at base: Int) -> Section {
            Section(
                nameOffset: word32(table, base), type: word32(table, base + 4),
                flags: word(table, base + 8),
                offset: word(table, base + (is64 ? 24 : 16)), size: word(table, base + (is64 ? 32 : 20)))
        }

        private func integer(_ bytes: [UInt8], _ at: Int, _ width: Int) -> UInt64 {
            var value: UInt64 = 0
            for index in 0..<width {
                let byte = UInt64(bytes[at + (littleEndian ? width - 1 - index : index)])
                value = value << 8 | byte
            }
            return value
        }
    }
}
