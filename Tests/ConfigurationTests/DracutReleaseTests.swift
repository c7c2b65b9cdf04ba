import Foundation
import XCTest

@testable import Configuration

final class DracutReleaseTests: XCTestCase {
    private func release(_ file: String?) throws -> DracutRelease {
        let directory = NSTemporaryDirectory() + "kindling-release-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        if let file { try file.write(toFile: directory + "/dracut-version.sh", atomically: true, encoding: .utf8) }
        return DracutRelease.installed(in: directory)
    }

    func testTheInstalledVersionNamesTheFlavour() throws {
        let debian = try release("#!/bin/sh\n# shellcheck disable=SC2034\nDRACUT_VERSION=059-4\n")
        XCTAssertEqual(debian.version, "059-4")
        XCTAssertEqual(debian.flavour, .dracut059)
        let ng = try release("DRACUT_VERSION=\"106\"\n")
        XCTAssertEqual(ng.version, "106")
        XCTAssertEqual(ng.flavour, .dracutNG)
    }

    func testWithoutAnInstalledDracutKindlingFollows059() throws {
        XCTAssertEqual(try release(nil), .compatible)
        XCTAssertEqual(try release("echo nothing here\n"), .compatible)
        XCTAssertEqual(DracutRelease.compatible.flavour, .dracut059)
    }

    /// dracut-ng 107 on keeps its version in the dracut script: a source tree's dracut.sh, or
    /// /usr/bin/dracut beside /usr/lib/dracut.
    func testASourceTreeOrAnInstalledScriptNamesTheRelease() throws {
        let root = NSTemporaryDirectory() + "kindling-release-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        for directory in ["/tree/modules.d", "/usr/lib/dracut/modules.d", "/usr/bin"] {
            try FileManager.default.createDirectory(atPath: root + directory, withIntermediateDirectories: true)
        }
        try "#!/bin/bash\nDRACUT_VERSION=\"112\"\n".write(toFile: root + "/tree/dracut.sh", atomically: true, encoding: .utf8)
        try "DRACUT_VERSION=\"111\"\n".write(toFile: root + "/usr/bin/dracut", atomically: true, encoding: .utf8)
        let fromTree = DracutRelease.owning(
            moduleSearchPath: [root + "/tree/modules.d"], baseDirectory: root + "/usr/lib/dracut")
        XCTAssertEqual(fromTree.version, "112")
        let installed = DracutRelease.owning(
            moduleSearchPath: [root + "/usr/lib/dracut/modules.d"], baseDirectory: root + "/usr/lib/dracut")
        XCTAssertEqual(installed.version, "111")
    }

    func testEachReleaseLaysOutHooksAndHelpersAsItsDracut() {
        let old = DracutRelease.compatible, debian = DracutRelease(version: "106-6"), latest = DracutRelease(version: "112")
        XCTAssertEqual(old.hookDirectory, "/lib/dracut/hooks")
        XCTAssertEqual(debian.hookDirectory, "/var/lib/dracut/hooks")
        XCTAssertTrue(debian.linksOldHookDirectory)
        XCTAssertFalse(latest.linksOldHookDirectory)
        XCTAssertFalse(old.linksOldHookDirectory)
        // 059's modules keep 059's helpers: only dracut-ng's additions are hidden from them.
        XCTAssertEqual(Set(old.undefinedHelpers), ["inst_sysusers", "get_module_name", "get_lvm_dm_dev"])
        XCTAssertTrue(debian.undefinedHelpers.contains("inst_library"))
        XCTAssertFalse(debian.undefinedHelpers.contains("dracut_no_switch_root"))
        XCTAssertTrue(latest.undefinedHelpers.contains("dracut_no_switch_root"))
        XCTAssertFalse(latest.undefinedHelpers.contains("inst_library"))
    }

    func testTheHostonlyDefaultsFollowTheRelease() {
        XCTAssertFalse(DracutRelease.compatible.hostonlyByDefault)
        XCTAssertFalse(DracutRelease(version: "106").hostonlyByDefault)
        XCTAssertTrue(DracutRelease(version: "109").hostonlyByDefault)
        XCTAssertTrue(DracutRelease.compatible.defaultsHostonlyCommandLine(inChroot: true))
        XCTAssertTrue(DracutRelease(version: "106").defaultsHostonlyCommandLine(inChroot: true))
        XCTAssertFalse(DracutRelease(version: "109").defaultsHostonlyCommandLine(inChroot: false))
        XCTAssertTrue(DracutRelease(version: "112").defaultsHostonlyCommandLine(inChroot: false))
        XCTAssertFalse(DracutRelease(version: "112").defaultsHostonlyCommandLine(inChroot: true))
        XCTAssertEqual(DracutRelease(version: "112").hostonlyNeedsMounted, ["/dev"])
    }
}
