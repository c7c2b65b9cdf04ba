import Foundation
import Support
import XCTest

@testable import Installer

/// Helpers shared by the ELF and library resolver tests: oracles (readelf, ldd, ldconfig) that
/// are only ever used here, temporary directories, and a writer of small synthetic ELF files.
enum ELFTestSupport {
    /// Runs a tool and returns its standard output, or nil when it is missing or fails.
    static func output(of tool: String, _ arguments: [String]) -> String? {
        guard let result = try? runCommand(tool, arguments), result.status == 0 else { return nil }
        return result.outputText
    }

    static func requireTool(_ tool: String) throws {
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            throw XCTSkip("\(tool) is not installed")
        }
    }

    /// ldd's answer: the files it lists (interpreter included, vDSO excluded) in its order, and the
    /// names it could not find.
    static func ldd(_ path: String) throws -> (files: [String], missing: [String]) {
        try requireTool("/usr/bin/ldd")
        guard let text = output(of: "/usr/bin/ldd", [path]) else {
            throw XCTSkip("ldd cannot list \(path)")
        }
        var files: [String] = [], missing: [String] = []
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            if words.count >= 3, words[1] == "=>" {
                if words[2] == "not" { missing.append(words[0]) } else { files.append(words[2]) }
            } else if let first = words.first, first.hasPrefix("/") {
                files.append(first)
            }
        }
        return (files, missing)
    }

    /// The value inside the brackets of every `readelf` line containing `marker`.
    static func readelfValues(_ arguments: [String], marker: String) throws -> [String] {
        try requireTool("/usr/bin/readelf")
        let text = try XCTUnwrap(output(of: "/usr/bin/readelf", arguments))
        return text.split(separator: "\n").filter { $0.contains(marker) }.compactMap { line in
            guard let open = line.lastIndex(of: "["), let close = line.lastIndex(of: "]") else { return nil }
            return String(line[line.index(after: open)..<close])
        }
    }

    static func makeTemporaryDirectory() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/kindling-elf-XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        let path = String(cString: try XCTUnwrap(created))
        // Resolve the temporary directory itself, so that paths compare equal to canonical ones.
        return try XCTUnwrap(
            realpath(path, nil).map { pointer in
                defer { free(pointer) }
                return String(cString: pointer)
            })
    }

    static func removeDirectory(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    static func write(_ bytes: [UInt8], to path: String, mode: Int = 0o644) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    static func write(_ text: String, to path: String, mode: Int = 0o644) throws {
        try write(Array(text.utf8), to: path, mode: mode)
    }

    /// Copies a file's contents (FileManager would copy a symlink as a symlink).
    static func copy(_ source: String, to destination: String) throws {
        try FileManager.default.createDirectory(
            atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: canonical(source), toPath: destination)
    }

    static func symlink(_ target: String, at path: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
    }

    static func bytes(of path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// The realpath of a host file.
    static func canonical(_ path: String) -> String {
        guard let pointer = realpath(path, nil) else { return path }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}

/// Writes a small but well-formed dynamically linked ELF file: one PT_LOAD covering the whole file,
/// an optional PT_INTERP, and a PT_DYNAMIC with the requested entries. Lets tests use other
/// classes, byte orders and machines than the host's.
struct SyntheticELF {
    var fileClass: ELFFile.Class = .elf64
    var endianness: ELFFile.Endianness = .little
    var machine: ELFFile.Machine = .x86_64
    var objectType: UInt16 = 3
    var interpreter: String?
    var needed: [String] = []
    var soname: String?
    var rpath: String?
    var runpath: String?
    var noDefaultLibraries = false

    private static let baseAddress: UInt64 = 0x40_0000

    func bytes() -> [UInt8] {
        let is64 = fileClass == .elf64
        let wordSize = is64 ? 8 : 4
        let headerSize = is64 ? 64 : 52
        let programHeaderSize = is64 ? 56 : 32
        let dynamicEntrySize = 2 * wordSize

        var strings: [UInt8] = [0]
        func addString(_ text: String) -> UInt64 {
            let offset = UInt64(strings.count)
            strings += Array(text.utf8) + [0]
            return offset
        }
        var dynamic: [(Int64, UInt64)] = needed.map { (1, addString($0)) }
        if let soname { dynamic.append((14, addString(soname))) }
        if let rpath { dynamic.append((15, addString(rpath))) }
        if let runpath { dynamic.append((29, addString(runpath))) }
        if noDefaultLibraries { dynamic.append((0x6FFF_FFFB, 0x800)) }
        let interpreterBytes: [UInt8] = interpreter.map { Array($0.utf8) + [0] } ?? []

        let segmentCount = interpreter == nil ? 2 : 3
        let interpreterOffset = headerSize + segmentCount * programHeaderSize
        let stringsOffset = interpreterOffset + interpreterBytes.count
        let dynamicOffset = (stringsOffset + strings.count + 7) & ~7
        dynamic += [(5, Self.baseAddress + UInt64(stringsOffset)), (10, UInt64(strings.count)), (0, 0)]
        let fileSize = dynamicOffset + dynamic.count * dynamicEntrySize

        var out = ELFByteWriter(endianness: endianness, wordSize: wordSize)
        // e_ident
        out.raw([0x7F, 0x45, 0x4C, 0x46, is64 ? 2 : 1, endianness == .little ? 1 : 2, 1, 0])
        out.raw([UInt8](repeating: 0, count: 8))
        out.integer(UInt64(objectType), width: 2)
        out.integer(UInt64(machine.rawValue), width: 2)
        out.integer(1, width: 4)  // e_version
        out.word(0)  // e_entry
        out.word(UInt64(headerSize))  // e_phoff
        out.word(0)  // e_shoff
        out.integer(0, width: 4)  // e_flags
        out.integer(UInt64(headerSize), width: 2)
        out.integer(UInt64(programHeaderSize), width: 2)
        out.integer(UInt64(segmentCount), width: 2)
        out.integer(is64 ? 64 : 40, width: 2)  // e_shentsize
        out.integer(0, width: 2)  // e_shnum
        out.integer(0, width: 2)  // e_shstrndx

        func segment(type: UInt32, offset: Int, size: Int) {
            let address = Self.baseAddress + UInt64(offset)
            out.integer(UInt64(type), width: 4)
            if is64 { out.integer(6, width: 4) }  // p_flags sits here in ELF64
            out.word(UInt64(offset))
            out.word(address)
            out.word(address)
            out.word(UInt64(size))
            out.word(UInt64(size))
            if !is64 { out.integer(6, width: 4) }
            out.word(8)
        }
        if interpreter != nil { segment(type: 3, offset: interpreterOffset, size: interpreterBytes.count) }
        segment(type: 1, offset: 0, size: fileSize)
        segment(type: 2, offset: dynamicOffset, size: dynamic.count * dynamicEntrySize)
        out.raw(interpreterBytes)
        out.raw(strings)
        out.raw([UInt8](repeating: 0, count: dynamicOffset - stringsOffset - strings.count))
        for (tag, value) in dynamic {
            out.word(UInt64(bitPattern: tag))
            out.word(value)
        }
        return out.bytes
    }
}

struct ELFByteWriter {
    let endianness: ELFFile.Endianness
    let wordSize: Int
    var bytes: [UInt8] = []

    mutating func raw(_ data: [UInt8]) { bytes += data }

    mutating func integer(_ value: UInt64, width: Int) {
        let little = (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
        bytes += endianness == .little ? little : little.reversed()
    }

    mutating func word(_ value: UInt64) { integer(value, width: wordSize) }
}

/// Reads and patches fields of a little-endian ELF64 image, to corrupt copies of real binaries.
struct ELF64Patcher {
    var bytes: [UInt8]

    func read(at offset: Int, width: Int) -> UInt64 {
        (0..<width).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }

    mutating func write(_ value: UInt64, at offset: Int, width: Int) {
        for index in 0..<width { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
    }

    var programHeaderOffset: Int { Int(read(at: 32, width: 8)) }
    var programHeaderCount: Int { Int(read(at: 56, width: 2)) }

    /// File offsets of the program headers of a given type.
    func programHeaders(ofType type: UInt32) -> [Int] {
        (0..<programHeaderCount).map { programHeaderOffset + $0 * 56 }
            .filter { read(at: $0, width: 4) == UInt64(type) }
    }

    /// File offsets of the dynamic entries with a given tag.
    func dynamicEntries(withTag tag: UInt64) -> [Int] {
        guard let dynamic = programHeaders(ofType: 2).first else { return [] }
        let start = Int(read(at: dynamic + 8, width: 8))
        let size = Int(read(at: dynamic + 32, width: 8))
        return stride(from: start, to: start + size, by: 16).filter { read(at: $0, width: 8) == tag }
    }
}
