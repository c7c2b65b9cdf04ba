/// The headers of a PE/COFF executable (an EFI application such as systemd's stub, or a UKI), read
/// from its bytes: where each field lies, so a writer can change them, and the section table.
public struct PEImage: Sendable {
    /// The bytes read: the whole file, or only its start when the caller needs just the headers.
    public let bytes: [UInt8]
    /// The length of the whole file.
    public let fileSize: Int
    public let sections: [PESection]
    /// Offsets of the COFF file header and the optional header.
    let fileHeaderOffset: Int
    let optionalHeaderOffset: Int
    let sectionTableOffset: Int
    public let isPE32Plus: Bool
    public let sectionAlignment: UInt32
    public let fileAlignment: UInt32
    public let sizeOfHeaders: UInt32
    /// The optional header's data directories, as (virtual address or file offset, size).
    public let dataDirectories: [(address: UInt32, size: UInt32)]

    static let dosMagic: [UInt8] = [0x4D, 0x5A]  // "MZ"
    static let peSignature: [UInt8] = [0x50, 0x45, 0, 0]  // "PE\0\0"
    static let sectionHeaderSize = 40
    /// The data directory of the Authenticode signature (a file offset, not an address).
    static let certificateTableIndex = 4

    /// Reads the headers at the start of `bytes`, the whole file or its first part (`fileSize`
    /// long in all); throws when they are not those of a PE image or point outside the file.
    public init(bytes: [UInt8], fileSize: Int? = nil) throws(PEImageError) {
        self.fileSize = fileSize ?? bytes.count
        guard bytes.count >= 0x40, Array(bytes[0..<2]) == Self.dosMagic else { throw .notPE("no MZ header") }
        let newHeader = Int(Self.u32(bytes, 0x3C))
        guard newHeader <= bytes.count - 24, Array(bytes[newHeader..<newHeader + 4]) == Self.peSignature else {
            throw .notPE("no PE signature")
        }
        fileHeaderOffset = newHeader + 4
        let sectionCount = Int(Self.u16(bytes, fileHeaderOffset + 2))
        let optionalSize = Int(Self.u16(bytes, fileHeaderOffset + 16))
        optionalHeaderOffset = fileHeaderOffset + 20
        guard optionalSize >= 2, optionalHeaderOffset + optionalSize <= bytes.count else {
            throw .notPE("the optional header is cut short")
        }
        switch Self.u16(bytes, optionalHeaderOffset) {
        case 0x20B: isPE32Plus = true
        case 0x10B: isPE32Plus = false
        case let magic: throw .notPE("unknown optional header magic 0x\(String(magic, radix: 16))")
        }
        let directoryCountOffset = isPE32Plus ? 108 : 92
        guard optionalSize >= directoryCountOffset + 4 else { throw .notPE("the optional header is cut short") }
        sectionAlignment = Self.u32(bytes, optionalHeaderOffset + 32)
        fileAlignment = Self.u32(bytes, optionalHeaderOffset + 36)
        sizeOfHeaders = Self.u32(bytes, optionalHeaderOffset + 60)
        guard sectionAlignment.nonzeroBitCount == 1, fileAlignment.nonzeroBitCount == 1 else {
            throw .notPE("section or file alignment is not a power of two")
        }
        // The PE rules cap the file alignment at 64 KiB; a larger one would only pad the file.
        guard fileAlignment <= 0x10000 else { throw .notPE("file alignment 0x\(String(fileAlignment, radix: 16)) is over 64 KiB") }
        let directoryCount = Int(Self.u32(bytes, optionalHeaderOffset + directoryCountOffset))
        let directories = optionalHeaderOffset + directoryCountOffset + 4
        guard directoryCount <= 16, directories + 8 * directoryCount <= optionalHeaderOffset + optionalSize else {
            throw .notPE("the data directories do not fit the optional header")
        }
        dataDirectories = (0..<directoryCount).map {
            (Self.u32(bytes, directories + 8 * $0), Self.u32(bytes, directories + 8 * $0 + 4))
        }
        sectionTableOffset = optionalHeaderOffset + optionalSize
        guard sectionTableOffset + sectionCount * Self.sectionHeaderSize <= bytes.count else {
            throw .notPE("the section table is cut short")
        }
        var sections: [PESection] = []
        for index in 0..<sectionCount {
            let section = PESection(header: bytes, at: sectionTableOffset + index * Self.sectionHeaderSize)
            guard Int(section.pointerToRawData) + Int(section.sizeOfRawData) <= self.fileSize else {
                throw .notPE("section \(section.name)'s data lies past the end of the file")
            }
            sections.append(section)
        }
        self.sections = sections
        self.bytes = bytes
    }

    /// The end of the last section's data: what follows (a signature, symbols) is no section's.
    var endOfSectionData: Int {
        max(
            Int(sizeOfHeaders),
            sections.map { Int($0.pointerToRawData) + Int($0.sizeOfRawData) }.max() ?? 0)
    }

    /// The section's contents as (file offset, length): its raw data cut to its virtual size (the
    /// data's own length; the rest of the raw data is the file alignment's padding).
    public func extent(of section: PESection) -> (offset: Int, length: Int) {
        let length = section.virtualSize == 0 ? section.sizeOfRawData : min(section.virtualSize, section.sizeOfRawData)
        return (Int(section.pointerToRawData), Int(length))
    }

    public func section(named name: String) -> PESection? { sections.first { $0.name == name } }

    /// A section's contents, when the bytes read hold them.
    public func contents(of section: PESection) -> ArraySlice<UInt8>? {
        let (offset, length) = extent(of: section)
        return offset + length <= bytes.count ? bytes[offset..<offset + length] : nil
    }

    /// Whether an Authenticode signature is attached.
    public var isSigned: Bool {
        dataDirectories.count > Self.certificateTableIndex && dataDirectories[Self.certificateTableIndex].size != 0
    }

    static func u16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    static func u32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
    }
}

/// One entry of a PE section table.
public struct PESection: Equatable, Sendable {
    /// Up to 8 bytes, without the padding NULs.
    public var name: String
    public var virtualSize: UInt32
    public var virtualAddress: UInt32
    public var sizeOfRawData: UInt32
    public var pointerToRawData: UInt32
    public var characteristics: UInt32

    /// Initialised data, readable: what a UKI's added sections are.
    public static let readOnlyData: UInt32 = 0x4000_0040

    public init(
        name: String, virtualSize: UInt32, virtualAddress: UInt32, sizeOfRawData: UInt32, pointerToRawData: UInt32,
        characteristics: UInt32 = readOnlyData
    ) {
        self.name = name
        self.virtualSize = virtualSize
        self.virtualAddress = virtualAddress
        self.sizeOfRawData = sizeOfRawData
        self.pointerToRawData = pointerToRawData
        self.characteristics = characteristics
    }

    init(header bytes: [UInt8], at offset: Int) {
        let rawName = bytes[offset..<offset + 8].prefix { $0 != 0 }
        name = String(decoding: rawName, as: UTF8.self)
        virtualSize = PEImage.u32(bytes, offset + 8)
        virtualAddress = PEImage.u32(bytes, offset + 12)
        sizeOfRawData = PEImage.u32(bytes, offset + 16)
        pointerToRawData = PEImage.u32(bytes, offset + 20)
        characteristics = PEImage.u32(bytes, offset + 36)
    }

    /// The 40 bytes of its section table entry (no relocations or line numbers, as in an image).
    var header: [UInt8] {
        var bytes = Array(name.utf8.prefix(8))
        bytes += [UInt8](repeating: 0, count: 8 - bytes.count)
        for value in [virtualSize, virtualAddress, sizeOfRawData, pointerToRawData, 0, 0] {
            bytes += littleEndian(value)
        }
        bytes += [0, 0, 0, 0]
        bytes += littleEndian(characteristics)
        return bytes
    }

    /// The end of its memory image: a section with no virtual size takes its raw size.
    var virtualEnd: UInt64 { UInt64(virtualAddress) + UInt64(virtualSize == 0 ? sizeOfRawData : virtualSize) }
}

func littleEndian(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

/// A PE image that cannot be read or extended.
public enum PEImageError: Error, Equatable, CustomStringConvertible {
    case notPE(String)
    case signed
    case noRoomForSectionHeaders(needed: Int, available: Int)
    case sectionName(String)
    case tooLarge

    public var description: String {
        switch self {
        case .notPE(let why): "not a PE executable: \(why)"
        case .signed: "it is signed already: give the unsigned stub"
        case .noRoomForSectionHeaders(let needed, let available):
            "its headers have room for \(available) more section entries, \(needed) are needed"
        case .sectionName(let name): "section name \(name) is not 1 to 8 bytes"
        case .tooLarge: "the image would pass 4 GiB, the limit of a PE image"
        }
    }
}
