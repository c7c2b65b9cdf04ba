import Archive
import Foundation
import XCTest
@testable import StagedTree

final class WrittenFileRemovalTests: XCTestCase {
    /// The archive written while its files are unlinked is the archive written without that; the
    /// staged files are gone after, the directories and symlinks stay for the staging directory's
    /// removal, and a source outside the image root is never touched.
    func testFilesGoOnceWrittenAndTheArchiveIsTheSame() throws {
        let parent = NSTemporaryDirectory() + "kindling-removal-\(UUID().uuidString)"
        let root = parent + "/initramfs"
        let manager = FileManager.default
        try manager.createDirectory(atPath: root + "/usr/lib", withIntermediateDirectories: true)
        defer { try? manager.removeItem(atPath: parent) }
        try Data("init\n".utf8).write(to: URL(fileURLWithPath: root + "/init"))
        try Data(repeating: 7, count: 300_000).write(to: URL(fileURLWithPath: root + "/usr/lib/big.so"))
        try manager.linkItem(atPath: root + "/usr/lib/big.so", toPath: root + "/usr/lib/same.so")
        try manager.createSymbolicLink(atPath: root + "/lib", withDestinationPath: "usr/lib")
        let outside = parent + "/outside"
        try Data("kept\n".utf8).write(to: URL(fileURLWithPath: outside))

        var entries = try TreeScanner(root: root).entries()
        entries.append(
            ArchiveEntry(
                path: "etc/outside", kind: .regularFile(.source(RawPath(outside))), mode: 0o644, modificationTime: 0))
        let plain = MemorySink()
        try CpioWriter(sink: plain).writeArchive(entries)

        let removal = WrittenFileRemoval(imageRoot: root)
        let released = MemorySink()
        var handedOver: [RawPath] = []
        try CpioWriter(sink: released).writeArchive(entries) { entry in
            handedOver.append(entry.path)
            removal.writerIsDone(with: entry)
        }
        removal.finish()

        XCTAssertEqual(released.bytes, plain.bytes)
        XCTAssertEqual(handedOver, entries.map(\.path))
        for gone in ["/init", "/usr/lib/big.so", "/usr/lib/same.so"] {
            XCTAssertFalse(manager.fileExists(atPath: root + gone), gone)
        }
        XCTAssertEqual(try manager.destinationOfSymbolicLink(atPath: root + "/lib"), "usr/lib")
        XCTAssertEqual(try manager.contentsOfDirectory(atPath: root + "/usr/lib"), [])
        XCTAssertEqual(manager.contents(atPath: outside), Data("kept\n".utf8))
    }
}
