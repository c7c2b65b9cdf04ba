/// Where the fields the parser needs sit in the ELF32 and ELF64 structures (from the ELF gABI).
struct ELFLayout {
    let wordSize: Int
    let headerSize: Int
    let programHeaderSize: Int
    let sectionHeaderSize: Int
    let dynamicEntrySize: Int

    // File header
    let programHeaderOffsetField: Int
    let sectionHeaderOffsetField: Int
    let programHeaderEntrySizeField: Int  // followed by e_phnum, e_shentsize, e_shnum

    // Program header
    let segmentOffsetField: Int
    let segmentAddressField: Int
    let segmentFileSizeField: Int

    // Section header
    let sectionAddressField: Int
    let sectionOffsetField: Int
    let sectionSizeField: Int
    let sectionLinkField: Int  // followed by sh_info

    init(_ fileClass: ELFFile.Class) {
        switch fileClass {
        case .elf32:
            wordSize = 4; headerSize = 52; programHeaderSize = 32; sectionHeaderSize = 40; dynamicEntrySize = 8
            programHeaderOffsetField = 28; sectionHeaderOffsetField = 32; programHeaderEntrySizeField = 42
            segmentOffsetField = 4; segmentAddressField = 8; segmentFileSizeField = 16
            sectionAddressField = 12; sectionOffsetField = 16; sectionSizeField = 20; sectionLinkField = 24
        case .elf64:
            wordSize = 8; headerSize = 64; programHeaderSize = 56; sectionHeaderSize = 64; dynamicEntrySize = 16
            programHeaderOffsetField = 32; sectionHeaderOffsetField = 40; programHeaderEntrySizeField = 54
            segmentOffsetField = 8; segmentAddressField = 16; segmentFileSizeField = 32
            sectionAddressField = 16; sectionOffsetField = 24; sectionSizeField = 32; sectionLinkField = 40
        }
    }
}

struct FileHeader {
    let type: UInt16
    let machine: UInt16
    let programHeaderOffset: UInt64
    let programHeaderEntrySize: UInt16
    let programHeaderCount: UInt16
    let sectionHeaderOffset: UInt64
    let sectionHeaderEntrySize: UInt16
    let sectionHeaderCount: UInt16

    init(_ decoder: ByteDecoder, _ layout: ELFLayout) {
        type = decoder.uint16(at: 16)
        machine = decoder.uint16(at: 18)
        programHeaderOffset = decoder.word(at: layout.programHeaderOffsetField)
        sectionHeaderOffset = decoder.word(at: layout.sectionHeaderOffsetField)
        programHeaderEntrySize = decoder.uint16(at: layout.programHeaderEntrySizeField)
        programHeaderCount = decoder.uint16(at: layout.programHeaderEntrySizeField + 2)
        sectionHeaderEntrySize = decoder.uint16(at: layout.programHeaderEntrySizeField + 4)
        sectionHeaderCount = decoder.uint16(at: layout.programHeaderEntrySizeField + 6)
    }
}

struct ProgramHeader {
    static let loadType: UInt32 = 1
    static let dynamicType: UInt32 = 2
    static let interpreterType: UInt32 = 3

    let type: UInt32
    let offset: UInt64
    let virtualAddress: UInt64
    let fileSize: UInt64

    /// The file offset holding `address`, and how many bytes of the segment follow it there.
    func fileRange(ofAddress address: UInt64) -> (offset: UInt64, available: UInt64)? {
        guard address >= virtualAddress, address - virtualAddress < fileSize else { return nil }
        let distance = address - virtualAddress
        let (offset, overflow) = self.offset.addingReportingOverflow(distance)
        return overflow ? nil : (offset, fileSize - distance)
    }
}

struct SectionHeader {
    static let stringTableType: UInt32 = 3
    static let dynamicType: UInt32 = 6

    let type: UInt32
    let address: UInt64
    let offset: UInt64
    let size: UInt64
    let link: UInt32
    let info: UInt32
}

/// The dynamic section's entries before their strings are looked up.
struct RawDynamicEntries {
    static let needed: Int64 = 1
    static let stringTable: Int64 = 5
    static let stringTableSize: Int64 = 10
    static let soname: Int64 = 14
    static let rpath: Int64 = 15
    static let runpath: Int64 = 29
    static let flags1: Int64 = 0x6FFF_FFFB
    static let noDefaultLibrariesFlag: UInt64 = 0x800  // DF_1_NODEFLIB

    var neededOffsets: [UInt64] = []
    var rpathOffset: UInt64?
    var runpathOffset: UInt64?
    var sonameOffset: UInt64?
    var stringTableAddress: UInt64?
    var stringTableSize: UInt64?
    var ignoresDefaultLibraryPaths = false

    var hasStrings: Bool {
        !neededOffsets.isEmpty || rpathOffset != nil || runpathOffset != nil || sonameOffset != nil
    }
}

/// Reads the header tables of one file, validating the sizes and counts the header declares.
struct ELFTables {
    let reader: BoundedFileReader
    let layout: ELFLayout
    let header: FileHeader
    let decode: ([UInt8]) -> ByteDecoder

    /// PN_XNUM in e_phnum: the real count is in the first section header's sh_info.
    private static let extendedCountMarker: UInt16 = 0xFFFF

    func programHeaders() throws(ELFError) -> [ProgramHeader] {
        var count = UInt64(header.programHeaderCount)
        if header.programHeaderCount == Self.extendedCountMarker {
            guard let first = try sectionHeaders(limit: 1).first else {
                throw error(.corrupt("extended program header count without section headers"))
            }
            count = UInt64(first.info)
        }
        guard count > 0 else { return [] }
        let entrySize = Int(header.programHeaderEntrySize)
        guard entrySize >= layout.programHeaderSize else {
            throw error(.corrupt("program header entry size \(entrySize)"))
        }
        let table = try reader.bytes(
            at: header.programHeaderOffset, count: count * UInt64(entrySize), part: "program header table")
        let decoder = decode(table)
        return (0..<Int(count)).map { index in
            let base = index * entrySize
            return ProgramHeader(
                type: decoder.uint32(at: base),
                offset: decoder.word(at: base + layout.segmentOffsetField),
                virtualAddress: decoder.word(at: base + layout.segmentAddressField),
                fileSize: decoder.word(at: base + layout.segmentFileSizeField))
        }
    }

    /// The section headers (at most `limit`); empty when the file has none, which is legal.
    func sectionHeaders(limit: Int = Int.max) throws(ELFError) -> [SectionHeader] {
        guard header.sectionHeaderOffset != 0 else { return [] }
        let entrySize = Int(header.sectionHeaderEntrySize)
        guard entrySize >= layout.sectionHeaderSize else {
            throw error(.corrupt("section header entry size \(entrySize)"))
        }
        // SHN_UNDEF in e_shnum with a table present: the real count is the first entry's sh_size.
        var count = UInt64(header.sectionHeaderCount)
        if count == 0 {
            let first = try sectionHeaderEntries(count: 1, entrySize: entrySize)
            count = first.first?.size ?? 0
        }
        return try sectionHeaderEntries(count: min(count, UInt64(limit)), entrySize: entrySize)
    }

    private func sectionHeaderEntries(count: UInt64, entrySize: Int) throws(ELFError) -> [SectionHeader] {
        guard count > 0 else { return [] }
        // Checked against the file size before the multiplication can matter.
        guard count <= reader.size / UInt64(entrySize) else { throw error(.truncated("section header table")) }
        let table = try reader.bytes(
            at: header.sectionHeaderOffset, count: count * UInt64(entrySize), part: "section header table")
        let decoder = decode(table)
        return (0..<Int(count)).map { index in
            let base = index * entrySize
            return SectionHeader(
                type: decoder.uint32(at: base + 4),
                address: decoder.word(at: base + layout.sectionAddressField),
                offset: decoder.word(at: base + layout.sectionOffsetField),
                size: decoder.word(at: base + layout.sectionSizeField),
                link: decoder.uint32(at: base + layout.sectionLinkField),
                info: decoder.uint32(at: base + layout.sectionLinkField + 4))
        }
    }

    func dynamicEntries(_ segment: ProgramHeader) throws(ELFError) -> RawDynamicEntries {
        let bytes = try reader.bytes(at: segment.offset, count: segment.fileSize, part: "dynamic segment")
        let decoder = decode(bytes)
        var entries = RawDynamicEntries()
        // Leaves with `break scan`, not `return entries`: Swift 6.3.1 at -O drops the loop's
        // mutations when a large local struct is returned from inside the loop.
        scan: for base in stride(from: 0, through: bytes.count - layout.dynamicEntrySize, by: layout.dynamicEntrySize) {
            let tag = decoder.signedWord(at: base)
            let value = decoder.word(at: base + layout.wordSize)
            switch tag {
            case 0: break scan  // DT_NULL ends the array
            case RawDynamicEntries.needed: entries.neededOffsets.append(value)
            case RawDynamicEntries.stringTable: entries.stringTableAddress = value
            case RawDynamicEntries.stringTableSize: entries.stringTableSize = value
            case RawDynamicEntries.soname: entries.sonameOffset = value
            case RawDynamicEntries.rpath: entries.rpathOffset = value
            case RawDynamicEntries.runpath: entries.runpathOffset = value
            case RawDynamicEntries.flags1:
                entries.ignoresDefaultLibraryPaths = value & RawDynamicEntries.noDefaultLibrariesFlag != 0
            default: break
            }
        }
        return entries
    }

    /// The dynamic string table: DT_STRTAB is a virtual address, so it is mapped to a file offset
    /// through the PT_LOAD segments; files whose segments do not cover it fall back to the section
    /// headers (the string table section at that address, or the one .dynamic links to).
    func dynamicStringTable(
        at address: UInt64, declaredSize: UInt64?, segments: [ProgramHeader]
    ) throws(ELFError) -> [UInt8] {
        for segment in segments where segment.type == ProgramHeader.loadType {
            guard let range = segment.fileRange(ofAddress: address) else { continue }
            return try reader.bytes(
                at: range.offset, count: declaredSize ?? range.available, part: "dynamic string table")
        }
        let sections = try sectionHeaders()
        let byAddress = sections.first { $0.type == SectionHeader.stringTableType && $0.address == address }
        let linked = sections.first { $0.type == SectionHeader.dynamicType }
            .flatMap { dynamic in Int(exactly: dynamic.link) }
            .flatMap { index in sections.indices.contains(index) ? sections[index] : nil }
        guard let table = byAddress ?? linked else {
            throw error(.corrupt("DT_STRTAB address 0x\(String(address, radix: 16)) is in no loadable segment"))
        }
        return try reader.bytes(at: table.offset, count: table.size, part: "dynamic string table")
    }

    private func error(_ reason: ELFError.Reason) -> ELFError { ELFError(path: reader.path, reason: reason) }
}
