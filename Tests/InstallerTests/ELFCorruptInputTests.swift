import Foundation
import XCTest

@testable import Installer

/// Truncated, random and deliberately corrupted input must produce an `ELFError` naming the file,
/// never a crash, a hang or a huge allocation.
final class ELFCorruptInputTests: XCTestCase {
    private var directory = ""
    private var original: [UInt8] = []
    private var expected: ELFFile!

    override func setUpWithError() throws {
        directory = try ELFTestSupport.makeTemporaryDirectory()
        original = try ELFTestSupport.bytes(of: "/bin/bash")
        expected = try ELFFile(contentsOf: "/bin/bash")
    }

    override func tearDown() {
        ELFTestSupport.removeDirectory(directory)
    }

    private func parse(_ bytes: [UInt8], name: String = "sample") throws -> ELFFile {
        let path = "\(directory)/\(name)"
        try? FileManager.default.removeItem(atPath: path)
        try ELFTestSupport.write(bytes, to: path)
        return try ELFFile(contentsOf: path)
    }

    private func assertError(
        _ bytes: [UInt8], _ reason: ELFError.Reason, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try parse(bytes), file: file, line: line) { error in
            XCTAssertEqual((error as? ELFError)?.reason, reason, "\(error)", file: file, line: line)
        }
    }

    func testEmptyFileIsNotELF() {
        XCTAssertThrowsError(try parse([])) { error in
            XCTAssertEqual("\(error)", "\(self.directory)/sample: not an ELF file")
        }
    }

    func testTextFileIsNotELF() {
        assertError(Array("#!/bin/sh\necho hello\n".utf8), .notELF)
    }

    func testDirectoryAndMissingFileAreUnreadable() {
        XCTAssertThrowsError(try ELFFile(contentsOf: directory)) { error in
            XCTAssertEqual("\(error)", "\(self.directory): cannot read: is a directory")
        }
        XCTAssertThrowsError(try ELFFile(contentsOf: "\(directory)/missing")) { error in
            XCTAssertEqual("\(error)", "\(self.directory)/missing: cannot read: No such file or directory")
        }
    }

    func testTruncationsAtStructureBoundaries() throws {
        let patcher = ELF64Patcher(bytes: original)
        let programHeaderEnd = patcher.programHeaderOffset + patcher.programHeaderCount * 56
        let dynamic = try XCTUnwrap(patcher.programHeaders(ofType: 2).first)
        let dynamicOffset = Int(patcher.read(at: dynamic + 8, width: 8))
        let cases: [(Int, ELFError.Reason)] = [
            (3, .notELF),
            (10, .truncated("header")),
            (40, .truncated("header")),
            (63, .truncated("header")),
            (64, .truncated("program header table")),
            (programHeaderEnd - 1, .truncated("program header table")),
            (dynamicOffset + 5, .truncated("dynamic segment")),
        ]
        for (length, reason) in cases {
            assertError(Array(original.prefix(length)), reason)
        }
        XCTAssertThrowsError(try parse(Array(original.prefix(64)))) { error in
            XCTAssertEqual("\(error)", "\(self.directory)/sample: truncated ELF program header table")
        }
    }

    /// Cuts the file everywhere (in steps): every cut either still holds all the parts the parser
    /// needs, and gives the same answer, or throws.
    func testTruncationSweepNeverCrashes() throws {
        let path = "\(directory)/cut"
        try ELFTestSupport.write(original, to: path)
        var failures = 0
        for length in stride(from: original.count, through: 0, by: -max(1, original.count / 300)) {
            XCTAssertEqual(truncate(path, off_t(length)), 0)
            do {
                let file = try ELFFile(contentsOf: path)
                XCTAssertEqual(file.neededLibraries, expected.neededLibraries, "cut at \(length)")
                XCTAssertEqual(file.interpreter, expected.interpreter, "cut at \(length)")
            } catch {
                failures += 1
                XCTAssertTrue(error.description.hasPrefix(path + ": "), error.description)
            }
        }
        XCTAssertGreaterThan(failures, 0)
    }

    func testRandomBytesNeverCrash() throws {
        var generator = ELFTestRandom(seed: 0x4B49_4E44)
        for round in 0..<400 {
            let length = 16 + Int(generator.next() % 600)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if round % 2 == 0 {
                // Give half of them a plausible identification so the parser goes deeper.
                let fileClass = UInt8(1 + round % 4 / 2), byteOrder = UInt8(1 + round % 3 / 2)
                bytes.replaceSubrange(0..<7, with: [0x7F, 0x45, 0x4C, 0x46, fileClass, byteOrder, 1])
            }
            do {
                _ = try parse(bytes)
            } catch let error as ELFError {
                XCTAssertFalse(error.description.isEmpty)
            }
        }
    }

    /// Flips random bytes in the parts of a real binary the parser reads.
    func testCorruptedHeadersNeverCrash() throws {
        let patcher = ELF64Patcher(bytes: original)
        let dynamic = try XCTUnwrap(patcher.programHeaders(ofType: 2).first)
        let dynamicRange =
            Int(
                patcher.read(at: dynamic + 8, width: 8))..<Int(
                patcher.read(at: dynamic + 8, width: 8) + patcher.read(at: dynamic + 32, width: 8))
        let targets = Array(0..<(patcher.programHeaderOffset + patcher.programHeaderCount * 56)) + Array(dynamicRange)
        var generator = ELFTestRandom(seed: 7)
        for _ in 0..<400 {
            var bytes = original
            for _ in 0..<(1 + generator.next() % 4) {
                let target = targets[Int(generator.next() % UInt64(targets.count))]
                bytes[target] = UInt8(truncatingIfNeeded: generator.next())
            }
            do {
                _ = try parse(bytes)
            } catch let error as ELFError {
                XCTAssertFalse(error.description.isEmpty)
            }
        }
    }

    func testCorruptFieldsGiveSpecificErrors() throws {
        var patcher = ELF64Patcher(bytes: original)
        patcher.write(0xFFFF_FFFF_FFFF_FF00, at: 32, width: 8)  // e_phoff
        assertError(patcher.bytes, .truncated("program header table"))

        patcher = ELF64Patcher(bytes: original)
        patcher.write(8, at: 54, width: 2)  // e_phentsize
        assertError(patcher.bytes, .corrupt("program header entry size 8"))

        patcher = ELF64Patcher(bytes: original)
        var bytes = patcher.bytes
        bytes[4] = 9
        assertError(bytes, .corrupt("invalid class 9"))

        patcher = ELF64Patcher(bytes: original)
        let dynamic = try XCTUnwrap(patcher.programHeaders(ofType: 2).first)
        patcher.write(UInt64(original.count) - 8, at: dynamic + 8, width: 8)  // p_offset
        assertError(patcher.bytes, .truncated("dynamic segment"))

        patcher = ELF64Patcher(bytes: original)
        let interpreter = try XCTUnwrap(patcher.programHeaders(ofType: 3).first)
        patcher.write(1 << 40, at: interpreter + 32, width: 8)  // p_filesz
        assertError(patcher.bytes, .corrupt("interpreter path of 1099511627776 bytes"))

        patcher = ELF64Patcher(bytes: original)
        let needed = try XCTUnwrap(patcher.dynamicEntries(withTag: 1).first)
        patcher.write(0x7FFF_FFFF, at: needed + 8, width: 8)
        assertError(patcher.bytes, .corrupt("DT_NEEDED string offset 2147483647 is outside the dynamic string table"))

        patcher = ELF64Patcher(bytes: original)
        let size = try XCTUnwrap(patcher.dynamicEntries(withTag: 10).first)
        patcher.write(UInt64.max, at: size + 8, width: 8)  // DT_STRSZ
        assertError(patcher.bytes, .truncated("dynamic string table"))

        patcher = ELF64Patcher(bytes: original)
        let table = try XCTUnwrap(patcher.dynamicEntries(withTag: 5).first)
        patcher.write(0xDEAD_0000_0000, at: table + 8, width: 8)  // DT_STRTAB outside every segment
        patcher.write(0, at: 40, width: 8)  // e_shoff: and no section headers to fall back on
        assertError(patcher.bytes, .corrupt("DT_STRTAB address 0xdead00000000 is in no loadable segment"))
    }

    /// Without PT_LOAD headers the string table address cannot be mapped; the section headers
    /// still locate .dynstr.
    func testStringTableFallsBackToSectionHeaders() throws {
        var patcher = ELF64Patcher(bytes: original)
        for header in patcher.programHeaders(ofType: 1) { patcher.write(0, at: header, width: 4) }
        let file = try parse(patcher.bytes)
        XCTAssertEqual(file.neededLibraries, expected.neededLibraries)
    }

    func testDynamicSectionWithoutNullTerminatorStopsAtSegmentEnd() throws {
        var patcher = ELF64Patcher(bytes: original)
        for entry in patcher.dynamicEntries(withTag: 0) { patcher.write(0x6FFF_FFF0, at: entry, width: 8) }
        XCTAssertEqual(try parse(patcher.bytes).neededLibraries, expected.neededLibraries)
    }

    func testResolverReportsCorruptRootWithItsPath() throws {
        try ELFTestSupport.write(Array(original.prefix(200)), to: "\(directory)/broken")
        XCTAssertThrowsError(try LibraryResolver().dependencies(of: "\(directory)/broken")) { error in
            XCTAssertEqual("\(error)", "\(self.directory)/broken: truncated ELF program header table")
        }
        XCTAssertThrowsError(try LibraryResolver().dependencies(of: "\(directory)/nothing-here")) { error in
            XCTAssertEqual("\(error)", "\(self.directory)/nothing-here: cannot read: No such file or directory")
        }
    }
}

/// A small deterministic generator, so that failures reproduce.
struct ELFTestRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
