import Foundation
import XCTest
@testable import StagedTree

final class StagingDirectoryTests: XCTestCase {
    /// A killed build's staging directory is removed; a live build's, a symlink of the same name
    /// and a directory too young to be judged are kept.
    func testOnlyAbandonedStagingDirectoriesAreRemoved() throws {
        let parent = try makeParent()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let live = try StagingDirectory(parent: parent)
        defer { live.remove() }
        let old = Date(timeIntervalSinceNow: -60)
        let abandoned = parent + "/kindling.DeAd01"
        try FileManager.default.createDirectory(atPath: abandoned + "/initramfs/etc", withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: abandoned)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: live.path)
        let young = parent + "/kindling.Young1"
        try FileManager.default.createDirectory(atPath: young, withIntermediateDirectories: false)
        let target = parent + "/elsewhere"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: parent + "/kindling.Link01", withDestinationPath: target)

        XCTAssertEqual(StagingDirectory.removeAbandoned(in: parent, changedBefore: time(nil) - 10), [abandoned])
        XCTAssertEqual(
            Set(try FileManager.default.contentsOfDirectory(atPath: parent)),
            ["kindling.Young1", "kindling.Link01", "elsewhere", (live.path as NSString).lastPathComponent])
    }

    /// The staging directory is an ext4 top directory (`lsattr` shows T), and the image root, made
    /// under a name of its own, is `initramfs` alone, with the mode mkdir gives 0755.
    func testStagingDirectoryIsATopDirectoryWithTheImageRootInIt() throws {
        let parent = try makeParent()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let staging = try StagingDirectory(parent: parent)
        defer { staging.remove() }

        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: staging.path), ["initramfs"])
        let mask = umask(0)
        umask(mask)
        var status = stat()
        XCTAssertEqual(stat(staging.imageRoot, &status), 0)
        XCTAssertEqual(status.st_mode & 0o7777, 0o755 & ~mask)

        let listing = Process()
        listing.executableURL = URL(fileURLWithPath: "/usr/bin/lsattr")
        listing.arguments = ["-d", staging.path]
        let output = Pipe()
        listing.standardOutput = output
        listing.standardError = FileHandle.nullDevice
        try listing.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        listing.waitUntilExit()
        guard listing.terminationStatus == 0 else {
            throw XCTSkip("\(parent): the filesystem keeps no ext2/3/4 flags")
        }
        XCTAssertTrue(text.split(separator: " ").first?.contains("T") == true, text)
    }

    /// A directory of the test's own for staging directories to be made in.
    private func makeParent() throws -> String {
        let parent = NSTemporaryDirectory() + "kindling-staging-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        return parent
    }
}
