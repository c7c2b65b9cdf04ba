@testable import UnifiedKernelImage

/// A small PE32+ EFI application of the stub's shape, made byte by byte: a DOS header, the PE
/// headers with 16 data directories, and the given sections, each 0x200 bytes of a pattern.
struct StubFixture {
    var sectionNames = [".text", ".sbat"]
    var sectionAlignment: UInt32 = 0x1000
    var sizeOfHeaders: UInt32 = 0x400
    var signed = false
    var sbatText =
        "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\nsystemd,1,The systemd Developers,systemd,252,https://systemd.io/\n"

    static let optionalHeaderSize = 240

    var bytes: [UInt8] {
        var file = [UInt8](repeating: 0, count: Int(sizeOfHeaders))
        file[0] = 0x4D
        file[1] = 0x5A
        put32(0x40, at: 0x3C, in: &file)
        file.replaceSubrange(0x40..<0x44, with: [0x50, 0x45, 0, 0])
        let coff = 0x44
        put16(0x8664, at: coff, in: &file)
        put16(UInt16(sectionNames.count), at: coff + 2, in: &file)
        put16(UInt16(Self.optionalHeaderSize), at: coff + 16, in: &file)
        put16(0x206, at: coff + 18, in: &file)
        let optional = coff + 20
        put16(0x20B, at: optional, in: &file)
        put32(0x200, at: optional + 8, in: &file)
        put32(sectionAlignment, at: optional + 32, in: &file)
        put32(0x200, at: optional + 36, in: &file)
        put32(sectionAlignment * UInt32(sectionNames.count + 1), at: optional + 56, in: &file)
        put32(sizeOfHeaders, at: optional + 60, in: &file)
        put16(10, at: optional + 68, in: &file)
        put32(16, at: optional + 108, in: &file)
        if signed { put32(0x2000, at: optional + 112 + 8 * 4, in: &file); put32(0x100, at: optional + 116 + 8 * 4, in: &file) }
        let table = optional + Self.optionalHeaderSize
        for (index, name) in sectionNames.enumerated() {
            let contents = name == ".sbat" ? Array(sbatText.utf8) : [UInt8](repeating: UInt8(index + 1), count: 0x1F0)
            let section = PESection(
                name: name, virtualSize: UInt32(contents.count), virtualAddress: sectionAlignment * UInt32(index + 1),
                sizeOfRawData: 0x200, pointerToRawData: UInt32(file.count), characteristics: 0x6000_0020)
            file.replaceSubrange(table + 40 * index..<table + 40 * index + 40, with: section.header)
            file += contents + [UInt8](repeating: 0, count: 0x200 - contents.count)
        }
        return file
    }

    private func put16(_ value: UInt16, at offset: Int, in bytes: inout [UInt8]) {
        bytes[offset] = UInt8(value & 0xFF)
        bytes[offset + 1] = UInt8(value >> 8)
    }

    private func put32(_ value: UInt32, at offset: Int, in bytes: inout [UInt8]) {
        for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
    }
}

/// The PE checksum as the format describes it, word by word with the carry folded each time.
func referenceChecksum(_ bytes: [UInt8], checksumOffset: Int) -> UInt32 {
    var sum: UInt32 = 0
    var index = 0
    while index < bytes.count {
        var word = UInt32(bytes[index])
        if index + 1 < bytes.count { word |= UInt32(bytes[index + 1]) << 8 }
        if index == checksumOffset || index == checksumOffset + 2 { word = 0 }
        sum += word
        sum = (sum & 0xFFFF) + (sum >> 16)
        index += 2
    }
    sum = (sum & 0xFFFF) + (sum >> 16)
    return sum + UInt32(bytes.count)
}
