import Foundation
import XCTest
@testable import StagedTree

final class StagingDirectoryTests: XCTestCase {
    /// A killed build's staging directory is removed; a live build's, a symlink of the same name
    /// and a directory too young to be judged are kept.
    func testOnlyAbandonedStagingDirectoriesAreRemoved() throws {
        let parent = NSTemporaryDirectory() + "kindling-staging-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
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
}
