import Archive
import Foundation
import XCTest
@testable import StagedTree

final class WrittenFileRemovalTests: XCTestCase {
    /// The archive written while the tree goes is the archive written without that; what the
    /// writer is done with goes, the directories after it, and a source outside the image root
    /// and a directory holding what no entry names stay.
    func testTreeGoesOnceWrittenAndTheArchiveIsTheSame() throws {
        let parent = NSTemporaryDirectory() + "kindling-removal-\(UUID().uuidString)"
        let root = parent + "/initramfs"
        let manager = FileManager.default
        try manager.createDirectory(atPath: root + "/usr/lib", withIntermediateDirectories: true)
        try manager.createDirectory(atPath: root + "/var/log", withIntermediateDirectories: true)
        defer { try? manager.removeItem(atPath: parent) }
        try Data("init\n".utf8).write(to: URL(fileURLWithPath: root + "/init"))
        try Data(repeating: 7, count: 300_000).write(to: URL(fileURLWithPath: root + "/usr/lib/big.so"))
        try manager.linkItem(atPath: root + "/usr/lib/big.so", toPath: root + "/usr/lib/same.so")
        try manager.createSymbolicLink(atPath: root + "/lib", withDestinationPath: "usr/lib")
        XCTAssertEqual(mkfifo(root + "/var/fifo", 0o600), 0)
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
        // Made after the scan: its directory cannot go.
        try Data().write(to: URL(fileURLWithPath: root + "/var/log/late"))
        removal.removeDirectories(of: entries)
        removal.finish()

        XCTAssertEqual(released.bytes, plain.bytes)
        XCTAssertEqual(handedOver, entries.map(\.path))
        XCTAssertEqual(try manager.contentsOfDirectory(atPath: root), ["var"])
        XCTAssertEqual(try manager.contentsOfDirectory(atPath: root + "/var"), ["log"])
        XCTAssertEqual(try manager.contentsOfDirectory(atPath: root + "/var/log"), ["late"])
        XCTAssertEqual(manager.contents(atPath: outside), Data("kept\n".utf8))

        try manager.removeItem(atPath: root + "/var/log/late")
        removal.removeDirectories(of: entries)
        removal.finish()
        XCTAssertFalse(manager.fileExists(atPath: root))
    }
}
