import Foundation
import XCTest

@testable import KindlingCore

/// The image is synced where dracut syncs it: on a live system booted with systemd.
final class ImageSyncTests: XCTestCase {
    func testOnlyASysrootWithSystemdsRunDirectorySyncs() throws {
        let sysroot = NSTemporaryDirectory() + "kindling-sync-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: sysroot) }
        try FileManager.default.createDirectory(atPath: sysroot + "/run/systemd", withIntermediateDirectories: true)
        XCTAssertFalse(ImageSync.isNeeded(sysroot: sysroot))
        // A file of that name is not a booted systemd.
        XCTAssertTrue(FileManager.default.createFile(atPath: sysroot + "/run/systemd/system", contents: Data()))
        XCTAssertFalse(ImageSync.isNeeded(sysroot: sysroot))
        try FileManager.default.removeItem(atPath: sysroot + "/run/systemd/system")
        try FileManager.default.createDirectory(atPath: sysroot + "/run/systemd/system", withIntermediateDirectories: false)
        XCTAssertTrue(ImageSync.isNeeded(sysroot: sysroot))
    }
}
