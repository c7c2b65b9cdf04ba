import Foundation
import XCTest

@testable import Installer

/// The walks take an entry's type from its directory and look at a symlink's target only: what
/// they find is what a stat of every entry found.
final class ModuleTreeWalkTests: XCTestCase {
    func testWalksFollowSymlinksAsFtsDoesAndTheImageListingDoesNot() throws {
        let root = try KernelModuleTestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let modules = root + "/6.1.0"
        let manager = FileManager.default
        for directory in ["kernel/drivers/ata", "kernel/drivers/empty", "extra/drivers", "elsewhere/net"] {
            try manager.createDirectory(atPath: modules + "/" + directory, withIntermediateDirectories: true)
        }
        for file in [
            "kernel/drivers/ata/ahci.ko", "kernel/drivers/ata/libata.ko.xz", "kernel/drivers/ata/README",
            "extra/drivers/vendor.ko", "elsewhere/net/e1000.ko", "elsewhere/linked.ko",
        ] {
            manager.createFile(atPath: modules + "/" + file, contents: Data("x".utf8))
        }
        try manager.createSymbolicLink(atPath: modules + "/kernel/drivers/net", withDestinationPath: "../../elsewhere/net")
        try manager.createSymbolicLink(atPath: modules + "/kernel/drivers/linked.ko", withDestinationPath: "../../elsewhere/linked.ko")

        let walk = ModuleTreeWalk(moduleDirectory: modules, filter: ModuleFilter())
        XCTAssertEqual(
            walk.files(under: "/drivers/").map { String($0.dropFirst(modules.count + 1)) },
            [
                "extra/drivers/vendor.ko", "kernel/drivers/ata/ahci.ko", "kernel/drivers/ata/libata.ko.xz",
                "kernel/drivers/linked.ko", "kernel/drivers/net/e1000.ko",
            ])
        XCTAssertEqual(
            ModuleTreeWalk.moduleFiles(under: modules + "/kernel"), ["drivers/ata/ahci.ko", "drivers/ata/libata.ko.xz"])
        XCTAssertTrue(ModuleTreeWalk.containsModule(under: modules + "/kernel/drivers"))
        XCTAssertFalse(ModuleTreeWalk.containsModule(under: modules + "/kernel/drivers/empty"))
    }
}
