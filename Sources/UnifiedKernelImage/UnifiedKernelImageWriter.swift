#if canImport(Glibc)
import Glibc
#endif
import Support

/// What a section added to the stub holds: bytes made by the build (.osrel, .cmdline, .sbat), or a
/// file copied as it is (.linux, .initrd, .splash), read only while the image is written.
public enum SectionContents: Sendable {
    case bytes([UInt8])
    case file(path: String)
}

/// One section to add: its name (".linux") and contents.
public struct AddedSection: Sendable {
    public var name: String
    public var contents: SectionContents

    public init(name: String, contents: SectionContents) {
        self.name = name
        self.contents = contents
    }
}

/// Writes a unified kernel image: the stub's headers and sections as they are, then the added
/// sections, each at the next address the stub's section alignment allows after the one before
/// (so no section overlaps another whatever the kernel's size), and its data at the next file
/// alignment. The stub's section table gains their entries; the image size, the size of
/// initialised data and the checksum are made anew. A section of the stub that is replaced
/// (dracut-ng's merged .sbat) loses its entry, and its data stays unreferenced.
public struct UnifiedKernelImageWriter {
    public let stub: PEImage
    public let sections: [AddedSection]
    /// Names of the stub's sections to drop before adding.
    public let replacing: Set<String>

    public init(stub: PEImage, sections: [AddedSection], replacing: Set<String> = []) {
        self.stub = stub
        self.sections = sections
        self.replacing = replacing
    }

    /// The section table the image will have, with each added section's size from `sizes`.
    public func layout(sizes: [Int]) throws(PEImageError) -> [PESection] {
        guard !stub.isSigned else { throw .signed }
        guard stub.bytes.count >= stub.endOfSectionData else { throw .notPE("the stub was not read whole") }
        var table = stub.sections.filter { !replacing.contains($0.name) }
        let available = (min(Int(stub.sizeOfHeaders), firstRawData) - stub.sectionTableOffset) / PEImage.sectionHeaderSize
        let needed = table.count + sections.count
        guard needed <= available else {
            throw .noRoomForSectionHeaders(needed: sections.count, available: available - table.count)
        }
        var address = align(stub.sections.map(\.virtualEnd).max() ?? UInt64(stub.sizeOfHeaders), stub.sectionAlignment)
        var offset = align(UInt64(stub.endOfSectionData), stub.fileAlignment)
        for (section, size) in zip(sections, sizes) {
            guard (1...8).contains(section.name.utf8.count) else { throw .sectionName(section.name) }
            let rawSize = align(UInt64(size), stub.fileAlignment)
            guard address + UInt64(size) <= UInt64(UInt32.max), offset + rawSize <= UInt64(UInt32.max) else {
                throw .tooLarge
            }
            table.append(
                PESection(
                    name: section.name, virtualSize: UInt32(size), virtualAddress: UInt32(address),
                    sizeOfRawData: UInt32(rawSize), pointerToRawData: UInt32(offset)))
            address = align(address + UInt64(size), stub.sectionAlignment)
            offset += rawSize
        }
        return table
    }

    /// Writes the image to `descriptor`, a new empty file; `checkpoint` runs between chunks (a
    /// cancelled build stops there).
    public func write(to descriptor: Int32, checkpoint: () throws -> Void = {}) throws {
        let sizes = try sections.map { section -> Int in
            switch section.contents {
            case .bytes(let bytes): return bytes.count
            case .file(let path): return try Self.size(of: path)
            }
        }
        let table = try layout(sizes: sizes)
        var output = ChecksummedOutput(descriptor: descriptor)
        try output.write(header(table: table))
        try output.write(Array(stub.bytes[output.offset..<stub.endOfSectionData]))
        for (section, entry) in zip(sections, table.suffix(sections.count)) {
            try output.pad(to: Int(entry.pointerToRawData))
            switch section.contents {
            case .bytes(let bytes): try output.write(bytes)
            case .file(let path): try output.copy(from: path, length: Int(entry.virtualSize), checkpoint: checkpoint)
            }
        }
        if let last = table.last { try output.pad(to: Int(last.pointerToRawData) + Int(last.sizeOfRawData)) }
        try output.storeChecksum(at: stub.optionalHeaderOffset + 64)
    }

    /// The stub's headers with the new section table, up to the stub's first section data.
    func header(table: [PESection]) -> [UInt8] {
        var bytes = Array(stub.bytes[0..<firstRawData])
        let optional = stub.optionalHeaderOffset
        store(UInt16(table.count), at: stub.fileHeaderOffset + 2, in: &bytes)
        // Symbols would follow the sections' data, where the added sections go now.
        store(UInt32(0), at: stub.fileHeaderOffset + 8, in: &bytes)
        store(UInt32(0), at: stub.fileHeaderOffset + 12, in: &bytes)
        let added = table.suffix(sections.count).reduce(UInt64(0)) { $0 + UInt64($1.sizeOfRawData) }
        let dropped = stub.sections.filter { replacing.contains($0.name) }.reduce(UInt64(0)) {
            $0 + UInt64($1.sizeOfRawData)
        }
        let initialized = UInt64(PEImage.u32(bytes, optional + 8)) + added
        store(UInt32(truncatingIfNeeded: initialized >= dropped ? initialized - dropped : 0), at: optional + 8, in: &bytes)
        let imageEnd = table.map(\.virtualEnd).max() ?? UInt64(stub.sizeOfHeaders)
        store(UInt32(truncatingIfNeeded: align(imageEnd, stub.sectionAlignment)), at: optional + 56, in: &bytes)
        store(UInt32(0), at: optional + 64, in: &bytes)
        // The entries overwrite the space after the table; where the old table was longer (a
        // section dropped), NULs, as a linker leaves there.
        let tableStart = stub.sectionTableOffset
        let oldEnd = tableStart + stub.sections.count * PEImage.sectionHeaderSize
        let entries = table.flatMap(\.header)
        bytes.replaceSubrange(tableStart..<tableStart + entries.count, with: entries)
        if tableStart + entries.count < oldEnd {
            bytes.replaceSubrange(
                tableStart + entries.count..<oldEnd,
                with: [UInt8](repeating: 0, count: oldEnd - tableStart - entries.count))
        }
        return bytes
    }

    /// Where the stub's first section data starts: the headers cannot grow past it.
    private var firstRawData: Int {
        stub.sections.filter { $0.sizeOfRawData > 0 }.map { Int($0.pointerToRawData) }.min() ?? Int(stub.sizeOfHeaders)
    }

    static func size(of path: String) throws -> Int {
        var status = stat()
        guard stat(path, &status) == 0 else { throw UnifiedKernelImageError.read(path: path, errno: errno) }
        return Int(status.st_size)
    }
}

private func align(_ value: UInt64, _ alignment: UInt32) -> UInt64 {
    let mask = UInt64(alignment) - 1
    return (value + mask) & ~mask
}

private func store(_ value: UInt16, at offset: Int, in bytes: inout [UInt8]) {
    bytes[offset] = UInt8(truncatingIfNeeded: value)
    bytes[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
}

private func store(_ value: UInt32, at offset: Int, in bytes: inout [UInt8]) {
    bytes.replaceSubrange(offset..<offset + 4, with: littleEndian(value))
}

/// Writing the image, summing it as it goes for the PE checksum (the 16-bit one's complement sum
/// of the file's words, with the checksum field as zero, plus the file's length).
struct ChecksummedOutput {
    let descriptor: Int32
    private(set) var offset = 0
    private var sum: UInt64 = 0
    /// A byte at an odd offset waits for its word's high byte.
    private var pendingLowByte: UInt8?

    init(descriptor: Int32) { self.descriptor = descriptor }

    mutating func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBufferPointer { try write($0) }
    }

    mutating func write(_ buffer: UnsafeBufferPointer<UInt8>) throws {
        guard writeAll(fd: descriptor, buffer) else { throw UnifiedKernelImageError.write(errno: errno) }
        add(buffer)
        offset += buffer.count
    }

    /// Zeros up to `end`, at most 64 KiB at a time (the file alignment's most).
    mutating func pad(to end: Int) throws {
        let zeros = [UInt8](repeating: 0, count: min(max(end - offset, 0), 0x10000))
        while end > offset { try write(Array(zeros.prefix(end - offset))) }
    }

    mutating func copy(from path: String, length: Int, checkpoint: () throws -> Void) throws {
        let source = open(path, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else { throw UnifiedKernelImageError.read(path: path, errno: errno) }
        defer { close(source) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var left = length
        while left > 0 {
            let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, min($0.count, left)) }
            guard count > 0 else {
                throw UnifiedKernelImageError.read(path: path, errno: count == 0 ? EIO : errno)
            }
            try buffer.withUnsafeBufferPointer { try write(UnsafeBufferPointer(rebasing: $0[0..<count])) }
            left -= count
            try checkpoint()
        }
    }

    private mutating func add(_ buffer: UnsafeBufferPointer<UInt8>) {
        var index = 0
        if let low = pendingLowByte, index < buffer.count {
            sum += UInt64(low) | UInt64(buffer[0]) << 8
            pendingLowByte = nil
            index = 1
        }
        var partial: UInt64 = 0
        while index + 1 < buffer.count {
            partial += UInt64(buffer[index]) | UInt64(buffer[index + 1]) << 8
            index += 2
        }
        sum += partial
        if index < buffer.count { pendingLowByte = buffer[index] }
    }

    /// Folds the sum, adds the length and writes the checksum into the header.
    mutating func storeChecksum(at position: Int) throws {
        var total = sum + UInt64(pendingLowByte ?? 0)
        while total > 0xFFFF { total = (total & 0xFFFF) + (total >> 16) }
        let checksum = littleEndian(UInt32(truncatingIfNeeded: total + UInt64(offset)))
        guard pwrite(descriptor, checksum, 4, off_t(position)) == 4 else {
            throw UnifiedKernelImageError.write(errno: errno)
        }
    }
}

/// Why a unified kernel image could not be written.
public enum UnifiedKernelImageError: Error, CustomStringConvertible {
    case read(path: String, errno: Int32)
    case write(errno: Int32)

    public var description: String {
        switch self {
        case .read(let path, let code): "cannot read \(path): \(systemErrorDescription(code))"
        case .write(let code): "cannot write the image: \(systemErrorDescription(code))"
        }
    }
}
