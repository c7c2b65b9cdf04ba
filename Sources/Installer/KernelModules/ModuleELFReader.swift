#if canImport(Glibc)
import Glibc
#endif
import Support

/// Reads what the module filters and the firmware step need straight from an uncompressed .ko:
/// the undefined symbols of .symtab (what libkmod calls dependency symbols) and the `firmware=`
/// strings of .modinfo. Unlike kmod_module_get_info it does not parse the module signature, and it
/// reads only the header, the section table and those sections, each with one pread into a buffer
/// the file's size: the symbol-filtered walk of =drivers reads thousands of modules on several
/// threads, and mapping each file instead cost a page fault per page touched and a TLB shootdown
/// on every other thread at each munmap. Every offset is checked against the file's size before
/// it is read, and nothing is looked at outside what was read.
struct ModuleELFReader {
    let path: String

    private static let sectionsRead: Set<String> = [".symtab", ".strtab", ".modinfo", "__versions"]
    private static let sectionNames = sectionsRead.map { (name: $0, bytes: Array($0.utf8)) }

    /// Whether the file is read here; compressed modules go through libkmod, which decompresses them.
    static func reads(_ path: String) -> Bool { path.hasSuffix(".ko") }

    func read() throws(KernelModuleError) -> ModuleFileFacts {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw .unreadableModule(path: path, message: systemErrorDescription()) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .unreadableModule(path: path, message: systemErrorDescription()) }
        let size = Int(status.st_size)
        guard size >= 64 else { throw corrupt("shorter than an ELF header") }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        defer { buffer.deallocate() }
        let file = PartlyReadFile(descriptor: fd, buffer: buffer, path: path)
        try file.read(offset: 0, count: 64)
        return try parse(ELFBytes(UnsafeRawBufferPointer(buffer)), file)
    }

    private func parse(_ bytes: ELFBytes, _ file: PartlyReadFile) throws(KernelModuleError) -> ModuleFileFacts {
        let sections = try sectionTable(bytes, file)
        guard let symbolTable = sections[".symtab"], let stringTable = sections[".strtab"] else {
            throw corrupt("no symbol table")
        }
        let symbols = try undefinedSymbols(bytes, symbolTable: symbolTable, stringTable: stringTable)
        return ModuleFileFacts(
            importedSymbols: symbols + unmatchedVersions(bytes, sections["__versions"], symbols: symbols),
            firmware: firmware(bytes, sections[".modinfo"]))
    }

    /// Named symbols of .symtab that no section of the module defines.
    private func undefinedSymbols(
        _ bytes: ELFBytes, symbolTable: ELFBytes.Range,
        stringTable: ELFBytes.Range
    ) throws(KernelModuleError) -> [String] {
        var symbols: [String] = []
        let entrySize = bytes.is64Bit ? 24 : 16
        guard symbolTable.size % entrySize == 0 else { throw corrupt(".symtab is not a whole number of entries") }
        // Entry 0 is the null symbol.
        for offset in stride(from: symbolTable.offset + entrySize, to: symbolTable.end, by: entrySize) {
            let nameOffset = Int(bytes.uint32(offset))
            let sectionIndex = bytes.uint16(offset + (bytes.is64Bit ? 6 : 14))
            guard sectionIndex == 0, nameOffset != 0 else { continue }
            guard nameOffset < stringTable.size, let name = bytes.string(at: stringTable.offset + nameOffset, end: stringTable.end) else {
                throw corrupt("symbol name outside .strtab")
            }
            if !name.isEmpty { symbols.append(name) }
        }
        return symbols
    }

    /// __versions names that are not undefined symbols (module_layout): libkmod counts them as
    /// dependency symbols too, so dracut-install's -s and -S see them.
    private func unmatchedVersions(_ bytes: ELFBytes, _ versions: ELFBytes.Range?, symbols: [String]) -> [String] {
        let entrySize = 64, crcSize = bytes.is64Bit ? 8 : 4
        guard let versions, versions.size % entrySize == 0, versions.size > 0 else { return [] }
        let known = Set(symbols)
        return stride(from: versions.offset, to: versions.end, by: entrySize).compactMap { entry in
            bytes.string(at: entry + crcSize, end: entry + entrySize).flatMap { known.contains($0) ? nil : $0 }
        }
    }

    /// The `firmware=` values of .modinfo, a list of NUL-terminated key=value strings.
    private func firmware(_ bytes: ELFBytes, _ information: ELFBytes.Range?) -> [String] {
        guard let information else { return [] }
        var firmware: [String] = []
        var offset = information.offset
        while offset < information.end {
            guard let entry = bytes.string(at: offset, end: information.end) else { break }
            if entry.hasPrefix("firmware=") { firmware.append(String(entry.dropFirst("firmware=".count))) }
            offset += entry.utf8.count + 1
        }
        return firmware
    }

    /// The sections by name, each checked to lie inside the file and read (the header must be).
    private func sectionTable(_ bytes: ELFBytes, _ file: PartlyReadFile) throws(KernelModuleError) -> [String: ELFBytes.Range] {
        guard bytes.hasELFMagic else { throw corrupt("not an ELF file") }
        guard bytes.isValidClassAndOrder else { throw corrupt("unknown ELF class or byte order") }
        let wide = bytes.is64Bit
        let tableOffset = Int(clamping: wide ? bytes.uint64(0x28) : UInt64(bytes.uint32(0x20)))
        let entrySize = Int(bytes.uint16(wide ? 0x3A : 0x2E))
        let count = Int(bytes.uint16(wide ? 0x3C : 0x30))
        let namesIndex = Int(bytes.uint16(wide ? 0x3E : 0x32))
        guard entrySize >= (wide ? 64 : 40), namesIndex < count,
            bytes.contains(offset: tableOffset, count: entrySize * count)
        else { throw corrupt("truncated section table") }
        try file.read(offset: tableOffset, count: entrySize * count)
        var ranges: [ELFBytes.Range] = []
        for index in 0..<count {
            let header = tableOffset + index * entrySize
            let offset = Int(clamping: wide ? bytes.uint64(header + 0x18) : UInt64(bytes.uint32(header + 0x10)))
            let size = Int(clamping: wide ? bytes.uint64(header + 0x20) : UInt64(bytes.uint32(header + 0x14)))
            let type = bytes.uint32(header + 4)
            // SHT_NOBITS sections (.bss) occupy no file space.
            ranges.append(ELFBytes.Range(offset: offset, size: type == 8 ? 0 : size, nameOffset: Int(bytes.uint32(header))))
        }
        let names = ranges[namesIndex]
        guard bytes.contains(offset: names.offset, count: names.size) else { throw corrupt("truncated section names") }
        try file.read(offset: names.offset, count: names.size)
        var sections: [String: ELFBytes.Range] = [:]
        for range in ranges {
            // The name's bytes are compared with the four names read before any String is made:
            // a module has dozens of sections, and making each name a String was most of this.
            guard range.nameOffset < names.size,
                let name = bytes.name(at: names.offset + range.nameOffset, end: names.end, among: Self.sectionNames)
            else { continue }
            guard bytes.contains(offset: range.offset, count: range.size) else { throw corrupt("truncated \(name) section") }
            try file.read(offset: range.offset, count: range.size)
            sections[name] = range
        }
        return sections
    }

    private func corrupt(_ reason: String) -> KernelModuleError {
        .unreadableModule(path: path, message: "truncated or corrupt ELF: \(reason)")
    }
}

/// A module file read into a buffer of its size one range at a time, each range where it is in
/// the file, so that the parser keeps file offsets. Ranges are checked against the file's size
/// before they are asked for.
private struct PartlyReadFile {
    let descriptor: Int32
    let buffer: UnsafeMutableRawBufferPointer
    let path: String

    func read(offset: Int, count: Int) throws(KernelModuleError) {
        let got = preadAll(fd: descriptor, into: UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + count]), at: offset)
        guard got == count else {
            let reason = got < 0 ? systemErrorDescription() : "the file ended before its last section"
            throw .unreadableModule(path: path, message: reason)
        }
    }
}

/// Bounds-aware reads of an ELF file in memory in its own byte order. Callers check ranges first;
/// a read outside the file gives 0 or nil rather than touching memory beyond the mapping.
struct ELFBytes {
    struct Range {
        let offset: Int
        let size: Int
        let nameOffset: Int
        var end: Int { offset + size }
    }

    private let memory: UnsafeRawBufferPointer
    let is64Bit: Bool
    private let isBigEndian: Bool

    init(_ memory: UnsafeRawBufferPointer) {
        self.memory = memory
        is64Bit = memory.count > 4 && memory[4] == 2
        isBigEndian = memory.count > 5 && memory[5] == 2
    }

    var hasELFMagic: Bool {
        memory.count >= 16 && memory.loadUnaligned(as: UInt32.self) == UInt32(bigEndian: 0x7F45_4C46)
    }

    var isValidClassAndOrder: Bool { (1...2).contains(memory[4]) && (1...2).contains(memory[5]) }

    func contains(offset: Int, count: Int) -> Bool {
        offset >= 0 && count >= 0 && offset <= memory.count && count <= memory.count - offset
    }

    // Written out per width: unspecialised generics are slow in debug builds, and these run
    // for every symbol of every module.
    func uint16(_ offset: Int) -> UInt16 {
        guard contains(offset: offset, count: 2) else { return 0 }
        let value = memory.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
        return isBigEndian ? UInt16(bigEndian: value) : UInt16(littleEndian: value)
    }

    func uint32(_ offset: Int) -> UInt32 {
        guard contains(offset: offset, count: 4) else { return 0 }
        let value = memory.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        return isBigEndian ? UInt32(bigEndian: value) : UInt32(littleEndian: value)
    }

    func uint64(_ offset: Int) -> UInt64 {
        guard contains(offset: offset, count: 8) else { return 0 }
        let value = memory.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        return isBigEndian ? UInt64(bigEndian: value) : UInt64(littleEndian: value)
    }

    /// Which of `names` the NUL-terminated string at `offset` (ending before `end`) is, if any:
    /// what `string(at:end:)` would give when that is one of them, without making a String.
    func name(at offset: Int, end: Int, among names: [(name: String, bytes: [UInt8])]) -> String? {
        guard offset >= 0, end <= memory.count, offset < end, let base = memory.baseAddress else { return nil }
        let length = strnlen((base + offset).assumingMemoryBound(to: CChar.self), end - offset)
        guard length < end - offset else { return nil }
        let candidate = UnsafeRawBufferPointer(start: base + offset, count: length)
        return names.first { $0.bytes.count == length && $0.bytes.elementsEqual(candidate) }?.name
    }

    /// The NUL-terminated string at `offset`, which must end before `end`.
    func string(at offset: Int, end: Int) -> String? {
        guard offset >= 0, end <= memory.count, offset < end, let base = memory.baseAddress else { return nil }
        let start = (base + offset).assumingMemoryBound(to: CChar.self)
        let length = strnlen(start, end - offset)
        guard length < end - offset else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: base + offset, count: length), as: UTF8.self)
    }
}
