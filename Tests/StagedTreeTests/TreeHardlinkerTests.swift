import Foundation
import XCTest

@testable import StagedTree

/// The tree linked on disk as `hardlink $initdir` links it (squash's tree, before mksquashfs):
/// identical files with the same mode and time become one inode; others, empty files and files
/// linked already are left as they are.
final class TreeHardlinkerTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "kindling-hardlink-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root + "/usr/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/usr/sbin", withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: root)
    }

    private func write(_ path: String, _ text: String, mode: Int = 0o755, time: TimeInterval = 1_700_000_000) throws {
        try text.write(toFile: root + path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes(
            [.posixPermissions: mode, .modificationDate: Date(timeIntervalSince1970: time)], ofItemAtPath: root + path)
    }

    private func inode(_ path: String) -> UInt64 {
        var status = stat()
        XCTAssertEqual(lstat(root + path, &status), 0, path)
        return UInt64(status.st_ino)
    }

    func testIdenticalFilesBecomeOneInodeAndOthersStayApart() throws {
        try write("/usr/bin/partx", "partx\n")
        try write("/usr/sbin/partx", "partx\n")
        try write("/usr/sbin/other-mode", "partx\n", mode: 0o644)
        try write("/usr/sbin/other-time", "partx\n", time: 1_600_000_000)
        try write("/usr/sbin/other-bytes", "PARTX\n")
        try write("/usr/bin/empty", "")
        try write("/usr/sbin/empty", "")

        XCTAssertEqual(try TreeHardlinker(root: root).linkIdenticalFiles(), 1)
        XCTAssertEqual(inode("/usr/bin/partx"), inode("/usr/sbin/partx"))
        for other in ["/usr/sbin/other-mode", "/usr/sbin/other-time", "/usr/sbin/other-bytes"] {
            XCTAssertNotEqual(inode(other), inode("/usr/bin/partx"), other)
        }
        XCTAssertNotEqual(inode("/usr/bin/empty"), inode("/usr/sbin/empty"), "hardlink(1) leaves empty files")
        XCTAssertEqual(try String(contentsOfFile: root + "/usr/sbin/partx", encoding: .utf8), "partx\n")
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: root + "/usr/sbin").sorted(),
            ["empty", "other-bytes", "other-mode", "other-time", "partx"], "no temporary link left")
        XCTAssertEqual(try TreeHardlinker(root: root).linkIdenticalFiles(), 0, "linked already: nothing to do")
    }
}
