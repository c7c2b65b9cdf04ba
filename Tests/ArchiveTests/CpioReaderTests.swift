import Foundation
import XCTest
@testable import Archive

final class CpioReaderTests: XCTestCase {
    /// A tree made on disk and archived by GNU cpio, as dracut does.
    private func gnuArchive(in directory: TemporaryDirectory) throws -> (root: RawPath, archive: [UInt8]) {
        let root = directory.raw("tree")
        try makeDirectory(root)
        try makeDirectory(root.appending("etc"))
        try writeFile(root.appending("etc/hostname"), Array("box\n".utf8))
        try writeFile(root.appending("data.bin"), pseudoRandomBytes(100_003), mode: 0o755)
        try writeFile(root.appending("with space"), Array("spaced".utf8))
        try writeFile(root.appending(RawPath(bytes: [0x62, 0x61, 0x64, 0xff])), Array("bad utf8".utf8))
        try makeSymlink(root.appending("bin"), to: "usr/bin")
        _ = root.appending("etc/hostname").withCString { source in
            root.appending("etc/hostname-link").withCString { link(source, $0) }
        }
        let result = try runTool("/bin/sh", ["-c", "find . | cpio -o -H newc --quiet"], in: root.description)
        XCTAssertEqual(result.status, 0, result.errorText)
        return (root, result.output)
    }

    func testReadsWhatGNUCpioWrites() throws {
        let directory = try TemporaryDirectory()
        let (root, archive) = try gnuArchive(in: directory)
        let members = try readMembers(archive)
        let byPath = Dictionary(members.map { ($0.member.path, $0) }, uniquingKeysWith: { $1 })

        XCTAssertEqual(
            Set(byPath.keys),
            [
                ".", "etc", "etc/hostname", "etc/hostname-link", "data.bin", "with space",
                RawPath(bytes: [0x62, 0x61, 0x64, 0xff]), "bin",
            ])
        XCTAssertEqual(byPath["data.bin"]?.data, try readFile(root.appending("data.bin")))
        XCTAssertEqual(byPath["data.bin"]?.member.permissions, 0o755)
        XCTAssertEqual(byPath["data.bin"]?.member.fileType, .regular)
        XCTAssertEqual(byPath["data.bin"]?.member.size, 100_003)
        XCTAssertEqual(byPath["bin"]?.member.fileType, .symlink)
        XCTAssertEqual(byPath["bin"]?.member.symlinkTarget, "usr/bin")
        XCTAssertEqual(byPath["etc"]?.member.fileType, .directory)
        XCTAssertEqual(byPath[RawPath(bytes: [0x62, 0x61, 0x64, 0xff])]?.data, Array("bad utf8".utf8))
        // GNU cpio puts a hardlink group's data on its last member.
        let linked = [byPath["etc/hostname"]!, byPath["etc/hostname-link"]!]
        XCTAssertEqual(linked[0].member.inode, linked[1].member.inode)
        XCTAssertEqual(linked.map(\.member.linkCount), [2, 2])
        XCTAssertEqual(linked.map(\.data).joined().count, 4)
    }

    func testSkippingDataLeavesTheReaderInStep() throws {
        let directory = try TemporaryDirectory()
        let (_, archive) = try gnuArchive(in: directory)
        let reader = CpioReader(source: MemorySource(archive))
        var paths: [RawPath] = []
        while let member = try reader.nextMember() { paths.append(member.path) }
        XCTAssertEqual(paths.count, 8)
        XCTAssertTrue(reader.isFinished)
        XCTAssertNil(try reader.nextMember())
    }

    func testReadsChecksumFormatAndVerifiesIt() throws {
        let directory = try TemporaryDirectory()
        let root = directory.raw("tree")
        try makeDirectory(root)
        try writeFile(root.appending("file"), Array("checksummed".utf8))
        let result = try runTool("/bin/sh", ["-c", "echo file | cpio -o -H crc --quiet"], in: root.description)
        XCTAssertEqual(Array(result.output.prefix(6)), Array("070702".utf8))
        let members = try readMembers(result.output)
        XCTAssertEqual(members.first?.data, Array("checksummed".utf8))
        XCTAssertNotNil(members.first?.member.checksum)

        // Change one data byte: the sum no longer matches.
        var damaged = result.output
        let index = damaged.firstIndex(of: UInt8(ascii: "k"))!
        damaged[index] = UInt8(ascii: "K")
        XCTAssertThrowsError(try readMembers(damaged)) { error in
            XCTAssertTrue("\(error)".contains("checksum mismatch for 'file'"), "\(error)")
        }
    }

    func testEveryTruncationIsAnErrorNotACrash() throws {
        let entries = [
            ArchiveEntry(path: ".", kind: .directory, mode: 0o755),
            ArchiveEntry(path: "file", kind: .regularFile(.bytes(pseudoRandomBytes(37))), mode: 0o644),
            ArchiveEntry(path: "link", kind: .symlink(target: "file"), mode: 0o777),
        ]
        let archive = try archiveBytes(entries)
        let trailerEnd = endOfTrailer(in: archive)
        for length in 0..<trailerEnd {
            XCTAssertThrowsError(try readMembers(Array(archive.prefix(length))), "prefix \(length)") { error in
                guard case ArchiveError.truncated = error else { return XCTFail("prefix \(length): \(error)") }
            }
        }
        XCTAssertEqual(try readMembers(Array(archive.prefix(trailerEnd))).count, 3)
    }

    func testDamagedHeadersNeverCrash() throws {
        let archive = try archiveBytes([
            ArchiveEntry(path: "a", kind: .regularFile(.bytes(Array("abc".utf8))), mode: 0o644),
            ArchiveEntry(path: "b", kind: .symlink(target: "a"), mode: 0o777),
        ])
        // Overwrite each byte of the first two headers with characters that matter to the parser.
        for index in 0..<260 {
            for replacement in [UInt8(ascii: "X"), UInt8(ascii: "F"), UInt8(ascii: "0"), 0] {
                var damaged = archive
                damaged[index] = replacement
                do {
                    _ = try readMembers(damaged)
                } catch let error as ArchiveError {
                    XCTAssertFalse(error.description.isEmpty)
                    XCTAssertFalse(error.description.contains("\n"))
                }
            }
        }
    }

    func testOversizedFieldsAreReportedAsCorruption() throws {
        var header = NewcHeader()
        header.mode = 0o100644
        header.nameSize = 0xFFFF_FFFF
        XCTAssertThrowsError(try readMembers(header.encoded(name: Array("x".utf8)))) { error in
            XCTAssertTrue("\(error)".contains("name size"), "\(error)")
        }
        header.nameSize = 2
        header.fileSize = 0xFFFF_FFFF
        XCTAssertThrowsError(try readMembers(header.encoded(name: Array("x".utf8)))) { error in
            guard case ArchiveError.truncated = error else { return XCTFail("\(error)") }
        }
        header.mode = 0o120777
        XCTAssertThrowsError(try readMembers(header.encoded(name: Array("x".utf8)))) { error in
            XCTAssertTrue("\(error)".contains("symlink"), "\(error)")
        }
    }

    func testNonHexHeaderNamesTheField() throws {
        var bytes = try archiveBytes([ArchiveEntry(path: "a", kind: .directory, mode: 0o755)])
        bytes[6 + 8 * 6] = UInt8(ascii: "g")  // first digit of filesize
        XCTAssertThrowsError(try readMembers(bytes)) { error in
            XCTAssertEqual(
                "\(error)",
                "corrupt input: cpio header field filesize is not hex (g0000000), "
                    + "at byte 0 of the cpio stream")
        }
    }
}
