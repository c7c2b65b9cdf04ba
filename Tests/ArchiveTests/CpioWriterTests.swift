import Foundation
import XCTest
@testable import Archive

final class CpioWriterTests: XCTestCase {
    /// Names that break naive quoting or assume UTF-8.
    static let awkwardNames: [RawPath] = [
        "with space",
        "quote\"double",
        "quote'single",
        "new\nline",
        RawPath(bytes: [0x6e, 0x6f, 0x74, 0xff, 0xfe, 0x75, 0x74, 0x66]),  // "not\xff\xfeutf"
        "ünïcödé",
    ]

    /// A source tree with every kind of member, and the entries describing it.
    private func makeSampleTree(in directory: TemporaryDirectory) throws -> [ArchiveEntry] {
        let source = directory.raw("source")
        try makeDirectory(source)
        var entries = [ArchiveEntry(path: ".", kind: .directory, mode: 0o755, modificationTime: 1_600_000_000)]
        func file(_ name: RawPath, _ bytes: [UInt8], mode: UInt32 = 0o644, identity: HardlinkIdentity? = nil) throws {
            try writeFile(source.appending(name), bytes)
            entries.append(
                ArchiveEntry(
                    path: name, kind: .regularFile(.source(source.appending(name))), mode: mode,
                    modificationTime: 1_700_000_000, hardlinkIdentity: identity))
        }
        try file("empty", [])
        for size in [1, 2, 3, 4, 5, 511, 512, 513] {
            try file(RawPath("size-\(size)"), pseudoRandomBytes(size, seed: UInt64(size)))
        }
        try file("big.bin", pseudoRandomBytes(300_000))  // many read chunks
        try file("setuid", [0x23, 0x21], mode: 0o4755)
        try file("private", Array("secret".utf8), mode: 0o600)
        entries.append(ArchiveEntry(path: "sub", kind: .directory, mode: 0o700, modificationTime: 1_600_000_000))
        entries.append(ArchiveEntry(path: "sub/deeper", kind: .directory, mode: 0o1777, modificationTime: 1_600_000_000))
        try makeDirectory(source.appending("sub"))
        for (index, name) in CpioWriterTests.awkwardNames.enumerated() {
            try file(RawPath("sub").appending(name), Array("content \(index)\n".utf8))
        }
        entries.append(
            ArchiveEntry(
                path: "generated.conf", kind: .regularFile(.bytes(Array("key=value\n".utf8))),
                mode: 0o640, modificationTime: 1_700_000_001))
        entries.append(
            ArchiveEntry(
                path: "link", kind: .symlink(target: "size-5"), mode: 0o777,
                modificationTime: 1_700_000_002))
        entries.append(ArchiveEntry(path: "sub/absolute-link", kind: .symlink(target: "/usr/bin/env"), mode: 0o777))
        entries.append(ArchiveEntry(path: "pipe", kind: .fifo, mode: 0o600, modificationTime: 1_700_000_003))
        let shared = HardlinkIdentity(device: 1, inode: 99)
        try writeFile(source.appending("hard"), Array("linked data\n".utf8))
        for name: RawPath in ["hard-a", "sub/hard-b", "sub/deeper/hard-c"] {
            entries.append(
                ArchiveEntry(
                    path: name, kind: .regularFile(.source(source.appending("hard"))), mode: 0o644,
                    modificationTime: 1_700_000_004, hardlinkIdentity: shared))
        }
        return entries
    }

    func testGNUCpioExtractsWhatWeWrite() throws {
        let directory = try TemporaryDirectory()
        let entries = try makeSampleTree(in: directory)
        let archivePath = directory.path + "/out.cpio"
        let sink = try FileSink(creating: archivePath)
        try CpioWriter(sink: sink, readChunkSize: 4096).writeArchive(entries)
        try sink.finish()

        let extracted = directory.raw("extracted")
        try makeDirectory(extracted)
        let result = try runTool(
            "/usr/bin/cpio", ["-idm", "--no-absolute-filenames", "--quiet"],
            inputFile: archivePath, in: extracted.description)
        XCTAssertEqual(result.status, 0, result.errorText)

        for entry in entries where entry.path != "." {
            let path = extracted.appending(entry.path)
            let status = try XCTUnwrap(fileStatus(path), "missing \(entry.path)")
            if entry.kind != .directory && !isSymlink(entry) {
                XCTAssertEqual(UInt32(status.st_mode & 0o7777), entry.mode, "mode of \(entry.path)")
                XCTAssertEqual(Int64(status.st_mtim.tv_sec), entry.modificationTime, "mtime of \(entry.path)")
            }
            switch entry.kind {
            case .regularFile(.source(let source)):
                XCTAssertEqual(try readFile(path), try readFile(source), "contents of \(entry.path)")
            case .regularFile(.bytes(let bytes)):
                XCTAssertEqual(try readFile(path), bytes)
            case .symlink(let target):
                XCTAssertEqual(symlinkTarget(path), target)
            case .fifo:
                XCTAssertEqual(status.st_mode & S_IFMT, S_IFIFO)
            case .directory:
                XCTAssertEqual(status.st_mode & S_IFMT, S_IFDIR)
                XCTAssertEqual(UInt32(status.st_mode & 0o7777), entry.mode, "mode of \(entry.path)")
            default:
                break
            }
        }
        let links = ["hard-a", "sub/hard-b", "sub/deeper/hard-c"].map { fileStatus(extracted.appending(RawPath($0)))! }
        XCTAssertEqual(Set(links.map(\.st_ino)).count, 1, "hardlink group became separate files")
        XCTAssertEqual(links[0].st_nlink, 3)

        let listing = try runTool("/usr/bin/cpio", ["-t", "--quiet"], inputFile: archivePath)
        XCTAssertEqual(listing.status, 0)
        XCTAssertTrue(listing.output.starts(with: Array(".\nempty\nsize-1\n".utf8)))
    }

    private func isSymlink(_ entry: ArchiveEntry) -> Bool {
        if case .symlink = entry.kind { return true }
        return false
    }

    func testHeadersFollowGNUConventions() throws {
        let directory = try TemporaryDirectory()
        let members = try readMembers(try archiveBytes(try makeSampleTree(in: directory)))
        var inodes: [RawPath: UInt32] = [:]
        for (member, data) in members {
            XCTAssertEqual(member.uid, 0)
            XCTAssertEqual(member.gid, 0)
            XCTAssertEqual(member.device, DeviceNumber(major: 0, minor: 0))
            inodes[member.path] = member.inode
            if member.path.bytes.starts(with: Array("hard".utf8)) || member.path.description.contains("/hard-") {
                XCTAssertEqual(member.linkCount, 3)
                // Only the last member of the group carries the data.
                XCTAssertEqual(data.isEmpty, member.path != "sub/deeper/hard-c", "\(member.path)")
            }
        }
        XCTAssertEqual(inodes["."], 1)
        XCTAssertEqual(inodes["empty"], 2)
        XCTAssertEqual(inodes["hard-a"], inodes["sub/hard-b"])
        XCTAssertEqual(inodes["hard-a"], inodes["sub/deeper/hard-c"])
        // Inodes are dense: the group uses one number.
        XCTAssertEqual(Set(inodes.values).count, members.count - 2)
        XCTAssertEqual(Set(inodes.values).max(), UInt32(members.count - 2))
        // Directories count themselves, their entry in the parent, and each subdirectory's "..".
        XCTAssertEqual(members.first { $0.member.path == "." }?.member.linkCount, 3)
        XCTAssertEqual(members.first { $0.member.path == "sub" }?.member.linkCount, 3)
        XCTAssertEqual(members.first { $0.member.path == "sub/deeper" }?.member.linkCount, 2)
    }

    func testArchiveIsByteIdenticalToGNUCpioReproducible() throws {
        let directory = try TemporaryDirectory()
        let root = directory.raw("tree")
        try makeDirectory(root)
        try makeDirectory(root.appending("etc"))
        try makeDirectory(root.appending("usr"))
        try makeDirectory(root.appending("usr/bin"), mode: 0o750)
        try writeFile(root.appending("etc/passwd"), Array("root:x:0:0::/root:/bin/sh\n".utf8))
        try writeFile(root.appending("usr/bin/tool"), pseudoRandomBytes(70_001), mode: 0o4755)
        try writeFile(root.appending("usr/bin/with space"), [1, 2, 3])
        try makeSymlink(root.appending("bin"), to: "usr/bin")
        _ = root.appending("fifo").withCString { mkfifo($0, 0o640) }
        setModificationTime(root.appending("etc/passwd"), 1_234_567_890)
        setModificationTime(root.appending("bin"), 1_234_567_000)

        let entries = try scanTree(root)
        let ours = try archiveBytes(entries, firstInode: 0)  // --reproducible numbers inodes from 0
        let gnu = try runTool(
            "/bin/sh", ["-c", "find . | LC_ALL=C sort | cpio -o -H newc --reproducible -R 0:0 --quiet"],
            in: root.description)
        XCTAssertEqual(gnu.status, 0, gnu.errorText)
        XCTAssertEqual(ours.count, gnu.output.count)
        XCTAssertTrue(ours == gnu.output, "archive differs from GNU cpio --reproducible")
        XCTAssertEqual(ours.count % 512, 0)
    }

    /// Entries written late (depmod's index) land where byte order puts them, and the archive is
    /// the one written from the whole list: the writer asks for them once, only when it comes to
    /// the first path they may have, after everything before it is written.
    func testLateEntriesGiveTheArchiveOfTheWholeList() throws {
        func file(_ path: RawPath, _ text: String, identity: HardlinkIdentity? = nil) -> ArchiveEntry {
            ArchiveEntry(
                path: path, kind: .regularFile(.bytes(Array(text.utf8))), mode: 0o644, modificationTime: 1_700_000_000,
                hardlinkIdentity: identity)
        }
        func directory(_ path: RawPath) -> ArchiveEntry { ArchiveEntry(path: path, kind: .directory, mode: 0o755) }
        let shared = HardlinkIdentity(device: 1, inode: 7)
        let whole = [
            directory("."), file("a", "a", identity: shared), directory("lib"), directory("lib/m"),
            directory("lib/m/kernel"), file("lib/m/kernel/x.ko", "x"), file("lib/m/modules.dep", "dep"),
            directory("lib/m/modules.e"), file("lib/m/modules.e/inside", "in"), file("lib/m/modules.order", "order"),
            directory("lib/m/updates"), file("lib/m/updates/y.ko", "y"), file("usr", "a", identity: shared),
        ]
        let late = whole.filter { $0.path.description.hasPrefix("lib/m/modules.") && $0.kind != .directory }
        let early = whole.filter { !late.contains($0) }
        for firstPath: RawPath in ["lib/m/modules.", "lib/m/kernel/x.ko", "lib/m/modules.dep"] {
            let sink = MemorySink()
            var asked = 0
            try CpioWriter(sink: sink).writeArchive(
                early,
                late: LateEntries(firstPath: firstPath) {
                    asked += 1
                    let written = try readMembers(sink.bytes + archiveBytes([])).map(\.member.path)
                    XCTAssertEqual(written, early.map(\.path).filter { $0 < firstPath }, "\(firstPath)")
                    return late.reversed()
                })
            try sink.finish()
            XCTAssertEqual(asked, 1)
            XCTAssertTrue(sink.bytes == (try archiveBytes(whole)), "\(firstPath)")
        }
        let refused = LateEntries(firstPath: "lib/m/modules.") { [directory("lib/m/modules.f")] }
        XCTAssertThrowsError(try CpioWriter(sink: MemorySink()).writeArchive(early, late: refused)) { error in
            XCTAssertTrue("\(error)".contains("a late entry is a directory"), "\(error)")
        }
    }

    func testEmptyArchiveIsOneBlockWithTrailer() throws {
        let bytes = try archiveBytes([])
        XCTAssertEqual(bytes.count, 512)
        XCTAssertEqual(Array(bytes[0..<6]), Array("070701".utf8))
        XCTAssertEqual(Array(bytes[110..<121]), Array("TRAILER!!!\0".utf8))
        XCTAssertTrue(bytes[124...].allSatisfy { $0 == 0 })
        XCTAssertEqual(try readMembers(bytes).count, 0)
    }

    func testDevicesKeepTheirNumbers() throws {
        let entries = [
            ArchiveEntry(path: "dev", kind: .directory, mode: 0o755),
            ArchiveEntry(path: "dev/console", kind: .characterDevice(DeviceNumber(major: 5, minor: 1)), mode: 0o600),
            ArchiveEntry(path: "dev/sda", kind: .blockDevice(DeviceNumber(major: 259, minor: 70000)), mode: 0o660),
        ]
        let members = try readMembers(try archiveBytes(entries)).map(\.member)
        XCTAssertEqual(members[1].fileType, .characterDevice)
        XCTAssertEqual(members[1].representedDevice, DeviceNumber(major: 5, minor: 1))
        XCTAssertEqual(members[2].fileType, .blockDevice)
        XCTAssertEqual(members[2].representedDevice, DeviceNumber(major: 259, minor: 70000))
        XCTAssertEqual(members[2].permissions, 0o660)
    }

    func testInvalidEntriesAreRejectedBeforeAnythingIsWritten() throws {
        let invalid: [ArchiveEntry] = [
            ArchiveEntry(path: "/etc/passwd", kind: .directory, mode: 0o755),
            ArchiveEntry(path: "./etc", kind: .directory, mode: 0o755),
            ArchiveEntry(path: "a/../../b", kind: .directory, mode: 0o755),
            ArchiveEntry(path: "", kind: .directory, mode: 0o755),
            ArchiveEntry(path: RawPath(bytes: [0x61, 0, 0x62]), kind: .directory, mode: 0o755),
            ArchiveEntry(path: "x", kind: .directory, mode: 0o40755),
            ArchiveEntry(path: "x", kind: .directory, mode: 0o755, modificationTime: -1),
            ArchiveEntry(path: "x", kind: .directory, mode: 0o755, modificationTime: 1 << 33),
            ArchiveEntry(path: "x", kind: .symlink(target: ""), mode: 0o777),
        ]
        for entry in invalid {
            let sink = MemorySink()
            XCTAssertThrowsError(try CpioWriter(sink: sink).writeArchive([entry]), "\(entry)") { error in
                XCTAssertTrue(error is ArchiveError)
                XCTAssertFalse("\(error)".contains("\n"))
            }
            XCTAssertTrue(sink.bytes.isEmpty)
        }
    }

    func testMissingSourceFileNamesTheFile() throws {
        let entry = ArchiveEntry(path: "x", kind: .regularFile(.source("/nonexistent/file")), mode: 0o644)
        XCTAssertThrowsError(try archiveBytes([entry])) { error in
            XCTAssertEqual("\(error)", "cannot open '/nonexistent/file': No such file or directory")
        }
    }

    func testSourceThatIsADirectoryIsAnError() throws {
        let entry = ArchiveEntry(path: "x", kind: .regularFile(.source("/tmp")), mode: 0o644)
        XCTAssertThrowsError(try archiveBytes([entry])) { error in
            XCTAssertTrue("\(error)".contains("not a regular file"), "\(error)")
        }
    }

    func testAwkwardNamesSurviveOurWriterAndReader() throws {
        let entries = CpioWriterTests.awkwardNames.map {
            ArchiveEntry(path: $0, kind: .regularFile(.bytes($0.bytes)), mode: 0o644)
        }
        let members = try readMembers(try archiveBytes(entries))
        XCTAssertEqual(members.map(\.member.path), CpioWriterTests.awkwardNames)
        XCTAssertEqual(members.map(\.data), CpioWriterTests.awkwardNames.map(\.bytes))
    }

    /// Found by the fuzzer: a member named TRAILER!!! ends the archive for every reader.
    func testAMemberNamedLikeTheTrailerIsRefused() throws {
        let entries = [ArchiveEntry(path: "TRAILER!!!", kind: .regularFile(.bytes([1])), mode: 0o644)]
        XCTAssertThrowsError(try archiveBytes(entries)) { error in
            XCTAssertTrue("\(error)".contains("marks the end of an archive"), "\(error)")
        }
    }
}
