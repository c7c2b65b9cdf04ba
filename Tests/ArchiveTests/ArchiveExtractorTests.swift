import Foundation
import XCTest
@testable import Archive

final class ArchiveExtractorTests: XCTestCase {
    /// Extracts every member of `archive` into `destination`, collecting per-member errors.
    @discardableResult
    private func extract(_ archive: [UInt8], into destination: String) throws -> [ArchiveError] {
        let extractor = try ArchiveExtractor(destination: destination)
        let reader = CpioReader(source: MemorySource(archive))
        var errors: [ArchiveError] = []
        while let member = try reader.nextMember() {
            do { try extractor.extract(member, from: reader) } catch let error as ArchiveError { errors.append(error) }
        }
        try extractor.finish()
        return errors
    }

    func testExtractsEveryKindOfMember() throws {
        let directory = try TemporaryDirectory()
        let shared = HardlinkIdentity(device: 7, inode: 7)
        let entries = [
            ArchiveEntry(path: ".", kind: .directory, mode: 0o755),
            ArchiveEntry(path: "locked", kind: .directory, mode: 0o500),
            ArchiveEntry(path: "locked/inside", kind: .regularFile(.bytes(Array("x".utf8))), mode: 0o4755),
            ArchiveEntry(path: "a", kind: .regularFile(.bytes(Array("group".utf8))), mode: 0o640, hardlinkIdentity: shared),
            ArchiveEntry(path: "b", kind: .regularFile(.bytes(Array("group".utf8))), mode: 0o640, hardlinkIdentity: shared),
            ArchiveEntry(path: "link", kind: .symlink(target: "/nowhere"), mode: 0o777),
            ArchiveEntry(path: "fifo", kind: .fifo, mode: 0o600),
            ArchiveEntry(path: "deep/er/file", kind: .regularFile(.bytes([])), mode: 0o644),
        ]
        XCTAssertEqual(try extract(try archiveBytes(entries), into: directory.path), [])
        let root = RawPath(directory.path)
        XCTAssertEqual(fileStatus(root.appending("locked"))!.st_mode & 0o7777, 0o500)
        XCTAssertEqual(fileStatus(root.appending("locked/inside"))!.st_mode & 0o7777, 0o4755)
        XCTAssertEqual(try readFile(root.appending("a")), Array("group".utf8))
        XCTAssertEqual(fileStatus(root.appending("a"))!.st_ino, fileStatus(root.appending("b"))!.st_ino)
        XCTAssertEqual(fileStatus(root.appending("a"))!.st_mode & 0o7777, 0o640)
        XCTAssertEqual(symlinkTarget(root.appending("link")), "/nowhere")
        XCTAssertEqual(fileStatus(root.appending("fifo"))!.st_mode & S_IFMT, S_IFIFO)
        XCTAssertEqual(try readFile(root.appending("deep/er/file")), [])
        _ = root.appending("locked").withCString { chmod($0, 0o755) }
    }

    func testRefusesPathsThatLeaveTheDestination() throws {
        let directory = try TemporaryDirectory()
        let destination = directory.path + "/out"
        try makeDirectory(RawPath(destination))
        let archive = craftedArchive([
            ("../escaped", 0o100644, Array("bad".utf8)),
            ("/tmp/absolute-escape", 0o100644, Array("bad".utf8)),
            ("ok/../../escaped2", 0o100644, Array("bad".utf8)),
            ("fine", 0o100644, Array("good".utf8)),
        ])
        let errors = try extract(archive, into: destination)
        XCTAssertEqual(
            errors.map(\.description),
            [
                "refusing to extract '../escaped': path contains '..'",
                "refusing to extract '/tmp/absolute-escape': absolute path",
                "refusing to extract 'ok/../../escaped2': path contains '..'",
            ])
        XCTAssertNil(fileStatus(RawPath(directory.path + "/escaped")))
        XCTAssertNil(fileStatus(RawPath(directory.path + "/escaped2")))
        XCTAssertEqual(try readFile(RawPath(destination + "/fine")), Array("good".utf8))
    }

    func testRefusesToWriteThroughASymlink() throws {
        let directory = try TemporaryDirectory()
        let destination = directory.path + "/out"
        let outside = directory.path + "/outside"
        try makeDirectory(RawPath(destination))
        try makeDirectory(RawPath(outside))
        let archive = craftedArchive([
            ("escape", 0o120777, Array(outside.utf8)),
            ("escape/planted", 0o100644, Array("bad".utf8)),
        ])
        let errors = try extract(archive, into: destination)
        XCTAssertEqual(errors.map(\.description), ["refusing to extract 'escape/planted': 'escape' is a symlink"])
        XCTAssertNil(fileStatus(RawPath(outside + "/planted")))
    }

    func testReplacesExistingFilesAndSymlinks() throws {
        let directory = try TemporaryDirectory()
        let outside = directory.path + "/victim"
        try writeFile(RawPath(outside), Array("keep".utf8))
        let destination = directory.path + "/out"
        try makeDirectory(RawPath(destination))
        // A symlink already in place must be replaced, not followed.
        try makeSymlink(RawPath(destination + "/file"), to: outside)
        try extract(craftedArchive([("file", 0o100644, Array("new".utf8))]), into: destination)
        XCTAssertEqual(try readFile(RawPath(outside)), Array("keep".utf8))
        XCTAssertEqual(try readFile(RawPath(destination + "/file")), Array("new".utf8))
    }

    func testDataOnTheFirstMemberOfAGroupAlsoWorks() throws {
        // Writers other than GNU cpio may store the data on the first member.
        var first = NewcHeader(), second = NewcHeader()
        first.inode = 5; first.mode = 0o100644; first.linkCount = 2; first.fileSize = 4; first.nameSize = 2
        second.inode = 5; second.mode = 0o100644; second.linkCount = 2; second.nameSize = 2
        let archive =
            first.encoded(name: Array("a".utf8)) + Array("data".utf8) + second.encoded(name: Array("b".utf8))
            + craftedArchive([])
        let directory = try TemporaryDirectory()
        try extract(archive, into: directory.path)
        XCTAssertEqual(try readFile(RawPath(directory.path + "/b")), Array("data".utf8))
        let inodes = ["/a", "/b"].map { fileStatus(RawPath(directory.path + $0))!.st_ino }
        XCTAssertEqual(inodes[0], inodes[1])
    }

    /// Found by the fuzzer (Fuzz/Regressions/lsinitrd-unpack): a hardlink group's first file is
    /// replaced by a device node or a FIFO before the member with the group's data comes. The
    /// data must go nowhere, rather than into the device or blocking on the FIFO.
    func testHardlinkDataIsNeverWrittenThroughASpecialFileThatReplacedTheFirstLink() throws {
        let findings = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/Regressions/lsinitrd-unpack")
        for name in ["hardlink-through-device.cpio", "hardlink-through-fifo.cpio"] {
            let archive = try [UInt8](Data(contentsOf: findings.appendingPathComponent(name)))
            let directory = try TemporaryDirectory()
            let errors = try extract(archive, into: directory.path)
            XCTAssertTrue(errors.contains { $0.description.contains("a later member replaced 'x', its hardlink") }, "\(name): \(errors)")
        }
    }

    /// A directory's mode is applied at the end; a later member that replaced the directory
    /// with a symlink must not pass that mode on to what the link names (it made any file
    /// setuid, as root).
    func testADirectoryReplacedByASymlinkKeepsItsModeToItself() throws {
        let directory = try TemporaryDirectory()
        let destination = directory.path + "/out"
        let victimFile = directory.path + "/victim-file"
        let victimDirectory = directory.path + "/victim-directory"
        try makeDirectory(RawPath(destination))
        try makeDirectory(RawPath(victimDirectory))
        try writeFile(RawPath(victimFile), Array("keep".utf8))
        _ = chmod(victimFile, 0o644)
        _ = chmod(victimDirectory, 0o700)
        let archive = craftedArchive([
            ("d", 0o044755, []),
            ("d", 0o120777, Array(victimFile.utf8)),
            ("e", 0o040777, []),
            ("e", 0o120777, Array("../victim-directory".utf8)),
            ("f", 0o046755, []),
            ("f", 0o040700, []),
        ])
        XCTAssertEqual(try extract(archive, into: destination), [])
        XCTAssertEqual(fileStatus(RawPath(victimFile))!.st_mode & 0o7777, 0o644)
        XCTAssertEqual(fileStatus(RawPath(victimDirectory))!.st_mode & 0o7777, 0o700)
        XCTAssertEqual(symlinkTarget(RawPath(destination + "/d")), RawPath(victimFile))
        // A directory made anew under the same name gets its own member's mode, not the first's.
        XCTAssertEqual(fileStatus(RawPath(destination + "/f"))!.st_mode & 0o7777, 0o700)
    }

    /// A hardlink group's first file replaced by a symlink out of the destination: the group's
    /// data must not follow it, and the later link is refused.
    func testAHardlinkGroupDoesNotFollowASymlinkThatReplacedItsFirstFile() throws {
        let directory = try TemporaryDirectory()
        let destination = directory.path + "/out"
        let victim = directory.path + "/victim"
        try makeDirectory(RawPath(destination))
        try writeFile(RawPath(victim), Array("keep".utf8))
        _ = chmod(victim, 0o644)
        var first = NewcHeader(), second = NewcHeader()
        first.inode = 9; first.mode = 0o100644; first.linkCount = 2; first.nameSize = 2
        second.inode = 9; second.mode = 0o104755; second.linkCount = 2; second.fileSize = 4; second.nameSize = 2
        let archive =
            first.encoded(name: Array("a".utf8))
            + craftedArchive([("a", 0o120777, Array(victim.utf8))], trailer: false)
            + second.encoded(name: Array("b".utf8)) + Array("evil".utf8)
            + craftedArchive([])
        let errors = try extract(archive, into: destination)
        XCTAssertEqual(errors.map(\.description), ["refusing to extract 'b': a later member replaced 'a', its hardlink"])
        XCTAssertEqual(try readFile(RawPath(victim)), Array("keep".utf8))
        XCTAssertEqual(fileStatus(RawPath(victim))!.st_mode & 0o7777, 0o644)
        XCTAssertNil(fileStatus(RawPath(destination + "/b")))
    }

    /// Special files get their mode and owner through a descriptor of the node made.
    func testSpecialFilesGetTheirModes() throws {
        let directory = try TemporaryDirectory()
        let archive = craftedArchive([("fifo", 0o010640, []), ("sock", 0o140604, [])])
        XCTAssertEqual(try extract(archive, into: directory.path), [])
        XCTAssertEqual(fileStatus(RawPath(directory.path + "/fifo"))!.st_mode, S_IFIFO | 0o640)
        XCTAssertEqual(fileStatus(RawPath(directory.path + "/sock"))!.st_mode, S_IFSOCK | 0o604)
    }
}
