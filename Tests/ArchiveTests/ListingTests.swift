import Foundation
import XCTest
@testable import Archive

final class ListingTests: XCTestCase {
    func testLinesMatchGNUCpioVerboseListing() throws {
        let directory = try TemporaryDirectory()
        let root = directory.raw("tree")
        try makeDirectory(root)
        try makeDirectory(root.appending("dir"), mode: 0o1777)
        try writeFile(root.appending("recent"), Array("now".utf8), mode: 0o4755)
        try writeFile(root.appending("old"), pseudoRandomBytes(123_456_789 % 100_000), mode: 0o2711)
        try writeFile(root.appending("future"), [], mode: 0o600)
        try writeFile(root.appending("with space"), [1], mode: 0o644)
        try makeSymlink(root.appending("link"), to: "dir/target")
        _ = root.appending("fifo").withCString { mkfifo($0, 0o644) }
        let now = Int(time(nil))
        setModificationTime(root.appending("old"), now - 200 * 24 * 3600)
        setModificationTime(root.appending("future"), now + 3600)
        setModificationTime(root.appending("recent"), now - 100 * 24 * 3600)
        if geteuid() == 0 {
            let console = dev_t(DeviceNumber(major: 5, minor: 1).combined)
            let disk = dev_t(DeviceNumber(major: 259, minor: 3).combined)
            _ = root.appending("console").withCString { mknod($0, S_IFCHR | 0o600, console) }
            _ = root.appending("disk").withCString { mknod($0, S_IFBLK | 0o660, disk) }
        }
        let archive = try runTool("/bin/sh", ["-c", "find . | cpio -o -H newc --quiet"], in: root.description).output
        let expected = try runTool("/usr/bin/cpio", ["-itv", "--quiet"], input: archive)
        XCTAssertEqual(expected.status, 0, expected.errorText)

        let formatter = ListingFormatter()
        let ours = try readMembers(archive).map { formatter.line(for: $0.member) + [0x0a] }.joined()
        XCTAssertEqual(String(decoding: Array(ours), as: UTF8.self), expected.outputText)
    }

    func testModeStrings() {
        XCTAssertEqual(ListingFormatter.modeString(0o100644), "-rw-r--r--")
        XCTAssertEqual(ListingFormatter.modeString(0o104755), "-rwsr-xr-x")
        XCTAssertEqual(ListingFormatter.modeString(0o104644), "-rwSr--r--")
        XCTAssertEqual(ListingFormatter.modeString(0o102711), "-rwx--s--x")
        XCTAssertEqual(ListingFormatter.modeString(0o041777), "drwxrwxrwt")
        XCTAssertEqual(ListingFormatter.modeString(0o041776), "drwxrwxrwT")
        XCTAssertEqual(ListingFormatter.modeString(0o120777), "lrwxrwxrwx")
        XCTAssertEqual(ListingFormatter.modeString(0o020600), "crw-------")
        XCTAssertEqual(ListingFormatter.modeString(0o060660), "brw-rw----")
        XCTAssertEqual(ListingFormatter.modeString(0o010644), "prw-r--r--")
        XCTAssertEqual(ListingFormatter.modeString(0o140755), "srwxr-xr-x")
    }

    func testHumanReadableSizesMatchDu() throws {
        let directory = try TemporaryDirectory()
        let sizes: [UInt64] = [
            0, 1, 512, 1023, 1024, 1025, 1536, 10 * 1024 - 1, 10 * 1024, 10 * 1024 + 1, 99 * 1024 + 1,
            1024 * 1024 - 1, 1024 * 1024, 1024 * 1024 + 1, 9_444_823, 10 * 1024 * 1024 - 1, 150_000_000,
            1023 * 1024 * 1024 + 1, 5 * 1024 * 1024 * 1024 + 7, 3 * 1024 * 1024 * 1024 * 1024,
        ]
        for size in sizes {
            let path = directory.path + "/sparse"
            try writeFile(RawPath(path), [])
            XCTAssertEqual(truncate(path, off_t(size)), 0)
            let du = try runTool("/usr/bin/du", ["-h", "--apparent-size", path])
            let expected = String(du.outputText.split(separator: "\t").first ?? "")
            XCTAssertEqual(humanReadableSize(size), expected, "size \(size)")
        }
    }
}
