import XCTest

@testable import StagedTree

/// StripProbe on ELF files made here: what it leaves alone, what it sends to strip.
final class StripProbeTests: XCTestCase {
    /// An ELF64 little-endian file of `type` with a section-name table and one more section of
    /// `name` and `sectionType`; `trailing` bytes after the section table.
    static func elf(
        type: UInt16 = 3, name: String = ".text", sectionType: UInt32 = 1, flags: UInt64 = 0, trailing: Int = 0
    ) -> [UInt8] {
        let names = Array("\0.shstrtab\0\(name)\0".utf8)
        let tableOffset = 64 + names.count
        var bytes = [UInt8](repeating: 0, count: 64)
        bytes[0...6] = [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1]
        func put(_ value: UInt64, at offset: Int, width: Int, into target: inout [UInt8]) {
            for index in 0..<width { target[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
        }
        put(UInt64(type), at: 16, width: 2, into: &bytes)
        put(UInt64(tableOffset), at: 40, width: 8, into: &bytes)
        put(64, at: 52, width: 2, into: &bytes)
        put(64, at: 58, width: 2, into: &bytes)
        put(3, at: 60, width: 2, into: &bytes)
        put(1, at: 62, width: 2, into: &bytes)
        bytes += names
        func section(name: Int, type: UInt32, flags: UInt64, offset: Int, size: Int) -> [UInt8] {
            var header = [UInt8](repeating: 0, count: 64)
            put(UInt64(name), at: 0, width: 4, into: &header)
            put(UInt64(type), at: 4, width: 4, into: &header)
            put(flags, at: 8, width: 8, into: &header)
            put(UInt64(offset), at: 24, width: 8, into: &header)
            put(UInt64(size), at: 32, width: 8, into: &header)
            return header
        }
        bytes += [UInt8](repeating: 0, count: 64)
        bytes += section(name: 1, type: 3, flags: 0, offset: 64, size: names.count)
        bytes += section(name: 11, type: sectionType, flags: flags, offset: 64, size: 0)
        return bytes + [UInt8](repeating: 0x41, count: trailing)
    }

    static func verdict(_ bytes: [UInt8], aggressive: Bool = false) -> StripProbe.Verdict {
        StripProbe.verdict(size: UInt64(bytes.count), aggressive: aggressive) { offset, count in
            guard offset <= UInt64(bytes.count), UInt64(count) <= UInt64(bytes.count) - offset else { return nil }
            return Array(bytes[Int(offset)..<Int(offset) + count])
        }
    }

    func testNonELFFilesAreLeftAlone() {
        XCTAssertEqual(Self.verdict(Array("#!/bin/sh\necho hi\n".utf8)), .unchanged)
        XCTAssertEqual(Self.verdict([]), .unchanged)
        XCTAssertEqual(Self.verdict(Array("#!/bin/sh\n".utf8), aggressive: true), .unchanged)
    }

    func testAStrippedSharedObjectIsLeftAlone() {
        XCTAssertEqual(Self.verdict(Self.elf()), .unchanged)
        XCTAssertEqual(Self.verdict(Self.elf(type: 2, name: ".gnu_debuglink")), .unchanged)
    }

    func testDebuggingSectionsSymbolTablesAndOddLayoutsGoToStrip() {
        for name in [".debug_info", ".zdebug_line", ".rela.debug_info", ".stab", ".line", ".gnu_debugdata", ".gnu.lto_x"] {
            XCTAssertEqual(Self.verdict(Self.elf(name: name)), .mayChange, name)
        }
        XCTAssertEqual(Self.verdict(Self.elf(name: ".symtab", sectionType: 2)), .mayChange)
        XCTAssertEqual(Self.verdict(Self.elf(flags: 0x800)), .mayChange)
        // A relocatable object (a kernel module), bytes after the section table, a cut file.
        XCTAssertEqual(Self.verdict(Self.elf(type: 1)), .mayChange)
        XCTAssertEqual(Self.verdict(Self.elf(trailing: 7)), .mayChange)
        XCTAssertEqual(Self.verdict(Array(Self.elf().dropLast(10))), .mayChange)
        XCTAssertEqual(Self.verdict(Array(Self.elf().prefix(40))), .mayChange)
    }

    func testAggressiveStripSendsEveryELFFileToStrip() {
        XCTAssertEqual(Self.verdict(Self.elf(), aggressive: true), .mayChange)
    }
}
