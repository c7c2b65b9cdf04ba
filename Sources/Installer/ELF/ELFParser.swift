/// Reads the parts of an ELF file that dynamic linking depends on. Every offset and size comes from
/// the file and is checked before use; each table is read with a single bounded pread.
struct ELFParser {
    static let magic: [UInt8] = [0x7F, 0x45, 0x4C, 0x46]

    let reader: BoundedFileReader

    func parse() throws(ELFError) -> ELFFile {
        let (fileClass, endianness) = try readIdentification()
        let layout = ELFLayout(fileClass)
        let decode = { (bytes: [UInt8]) in
            ByteDecoder(bytes: bytes, endianness: endianness, wordSize: layout.wordSize)
        }
        let headerBytes = try reader.bytes(at: 0, count: UInt64(layout.headerSize), part: "header")
        let header = FileHeader(decode(headerBytes), layout)
        let tables = ELFTables(reader: reader, layout: layout, header: header, decode: decode)

        let segments = try tables.programHeaders()
        let interpreter = try segments.first { $0.type == ProgramHeader.interpreterType }.map(readInterpreter)
        let dynamic =
            try segments.first { $0.type == ProgramHeader.dynamicType }
            .map { dynamicSegment throws(ELFError) in try readDynamicEntries(dynamicSegment, segments, tables) }
            ?? DynamicEntries()

        return ELFFile(
            path: reader.path, fileClass: fileClass, endianness: endianness, machine: .init(rawValue: header.machine),
            objectType: ELFFile.ObjectType(header.type), interpreter: interpreter,
            neededLibraries: dynamic.neededLibraries, rpath: dynamic.rpath, runpath: dynamic.runpath,
            soname: dynamic.soname, ignoresDefaultLibraryPaths: dynamic.ignoresDefaultLibraryPaths)
    }

    private func readIdentification() throws(ELFError) -> (ELFFile.Class, ELFFile.Endianness) {
        let identification = try reader.prefix(16)
        guard identification.starts(with: Self.magic) else { throw error(.notELF) }
        guard identification.count == 16 else { throw error(.truncated("header")) }
        let fileClass: ELFFile.Class
        switch identification[4] {
        case 1: fileClass = .elf32
        case 2: fileClass = .elf64
        case let other: throw error(.corrupt("invalid class \(other)"))
        }
        let endianness: ELFFile.Endianness
        switch identification[5] {
        case 1: endianness = .little
        case 2: endianness = .big
        case let other: throw error(.corrupt("invalid data encoding \(other)"))
        }
        guard identification[6] == 1 else { throw error(.unsupported("version \(identification[6])")) }
        return (fileClass, endianness)
    }

    private func readInterpreter(_ segment: ProgramHeader) throws(ELFError) -> String {
        // The kernel refuses interpreter paths longer than a page; so do we.
        guard segment.fileSize > 1, segment.fileSize <= 4096 else {
            throw error(.corrupt("interpreter path of \(segment.fileSize) bytes"))
        }
        let bytes = try reader.bytes(at: segment.offset, count: segment.fileSize, part: "interpreter path")
        let path = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        guard !path.isEmpty else { throw error(.corrupt("empty interpreter path")) }
        return path
    }

    private func readDynamicEntries(
        _ segment: ProgramHeader, _ segments: [ProgramHeader], _ tables: ELFTables
    ) throws(ELFError) -> DynamicEntries {
        let raw = try tables.dynamicEntries(segment)
        guard raw.hasStrings else { return DynamicEntries(ignoresDefaultLibraryPaths: raw.ignoresDefaultLibraryPaths) }
        guard let tableAddress = raw.stringTableAddress else {
            throw error(.corrupt("dynamic section names libraries but has no DT_STRTAB"))
        }
        let strings = try tables.dynamicStringTable(
            at: tableAddress, declaredSize: raw.stringTableSize, segments: segments)
        func string(_ offset: UInt64, _ tag: String) throws(ELFError) -> String {
            guard offset < UInt64(strings.count) else {
                throw error(.corrupt("\(tag) string offset \(offset) is outside the dynamic string table"))
            }
            let start = Int(offset)
            guard let end = strings[start...].firstIndex(of: 0) else {
                throw error(.corrupt("unterminated \(tag) string in the dynamic string table"))
            }
            return String(decoding: strings[start..<end], as: UTF8.self)
        }
        var entries = DynamicEntries(ignoresDefaultLibraryPaths: raw.ignoresDefaultLibraryPaths)
        for offset in raw.neededOffsets { entries.neededLibraries.append(try string(offset, "DT_NEEDED")) }
        if let offset = raw.rpathOffset { entries.rpath = try string(offset, "DT_RPATH") }
        if let offset = raw.runpathOffset { entries.runpath = try string(offset, "DT_RUNPATH") }
        if let offset = raw.sonameOffset { entries.soname = try string(offset, "DT_SONAME") }
        return entries
    }

    private func error(_ reason: ELFError.Reason) -> ELFError { ELFError(path: reader.path, reason: reason) }
}

/// The decoded string values of the dynamic section.
private struct DynamicEntries {
    var neededLibraries: [String] = []
    var rpath: String?
    var runpath: String?
    var soname: String?
    var ignoresDefaultLibraryPaths = false
}

extension ELFFile.ObjectType {
    init(_ rawValue: UInt16) {
        switch rawValue {
        case 1: self = .relocatable
        case 2: self = .executable
        case 3: self = .sharedObject
        case 4: self = .core
        default: self = .other(rawValue)
        }
    }
}
