import Foundation
import Installer
import Support
import XCTest

@testable import ShellBridge

/// The file helpers honour what module code sets for one call, as dracut hands it to dracut-install:
/// `dracutsysrootdir` (its -r) and `DRACUT_RESOLVE_DEPS` (its -l). squash's loader needs both, and
/// `build_ld_cache`, after it has moved the tree away (which the helpers must then forget).
final class PerCallVariableHelperTests: XCTestCase {
    private var base = "", sysroot = "", moved = "", image = ""

    override func setUpWithError() throws {
        base = NSTemporaryDirectory() + "kindling-per-call-\(UUID().uuidString)"
        sysroot = base + "/sysroot"
        moved = base + "/moved"
        image = base + "/image"
        for directory in [sysroot + "/etc/ld.so.conf.d", moved + "/usr/lib/dracut", image] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        try "from the sysroot\n".write(toFile: sysroot + "/etc/note", atomically: true, encoding: .utf8)
        try "include /etc/ld.so.conf.d/*.conf\n".write(toFile: sysroot + "/etc/ld.so.conf", atomically: true, encoding: .utf8)
        try "/usr/lib/extra\n".write(toFile: sysroot + "/etc/ld.so.conf.d/extra.conf", atomically: true, encoding: .utf8)
        try "base bash squash\n".write(toFile: moved + "/usr/lib/dracut/modules.txt", atomically: true, encoding: .utf8)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: base)
    }

    private func helpers(sysroot: String, eager: Bool = true) -> DracutHelpers {
        let installer = FileInstaller(
            sysroot: sysroot, imageRoot: image, searchPath: ["/usr/bin"], resolver: LibraryResolver(sysroot: sysroot),
            resolvesEagerly: eager, logger: Logger(level: .fatal))
        let context = HelperContext(
            sysroot: sysroot, hookDirectories: "pre-mount", binaryPath: ["/usr/bin"], libraryDirectories: [],
            udevDirectory: "/usr/lib/udev", dracutBaseDirectory: "/usr/lib/dracut")
        return DracutHelpers(installer: installer, context: context, logger: Logger(level: .fatal))
    }

    private func imageHas(_ path: String) -> Bool {
        var status = stat()
        return lstat(image + path, &status) == 0
    }

    func testACallsSysrootIsWhereItsFilesComeFrom() throws {
        let helpers = helpers(sysroot: sysroot)
        let file = "/usr/lib/dracut/modules.txt"
        XCTAssertEqual(helpers.handle(HelperRequest(helper: "inst", arguments: [file], sysroot: sysroot)).status, 1)
        XCTAssertEqual(helpers.handle(HelperRequest(helper: "inst", arguments: [file], sysroot: moved)).status, 0)
        XCTAssertEqual(try String(contentsOfFile: image + file, encoding: .utf8), "base bash squash\n")
        // The build's sysroot again for the next call, given or not.
        XCTAssertEqual(helpers.handle(HelperRequest(helper: "inst_simple", arguments: ["/etc/note"], sysroot: sysroot)).status, 0)
        XCTAssertEqual(helpers.handle(HelperRequest(helper: "inst_simple", arguments: ["/etc/note", "/etc/again"])).status, 0)
        XCTAssertTrue(imageHas("/etc/again"))
    }

    /// A call's dstdir is the tree its files go to (dracut-install -D): squash-lib's second tree.
    func testACallsDestinationIsWhereItsFilesGo() throws {
        let helpers = helpers(sysroot: sysroot)
        let squash = image + "/squash_root"
        try FileManager.default.createDirectory(atPath: squash, withIntermediateDirectories: true)
        let request = HelperRequest(helper: "inst_simple", arguments: ["/etc/note"], sysroot: sysroot, destination: squash)
        XCTAssertEqual(helpers.handle(request).status, 0)
        XCTAssertEqual(try String(contentsOfFile: squash + "/etc/note", encoding: .utf8), "from the sysroot\n")
        XCTAssertFalse(imageHas("/etc/note"), "not in the image itself")
        // Already in that tree: nothing to do; the image still gets its own copy when asked.
        XCTAssertEqual(helpers.handle(request).status, 0)
        XCTAssertEqual(helpers.handle(HelperRequest(helper: "inst_simple", arguments: ["/etc/note"], sysroot: sysroot)).status, 0)
        XCTAssertTrue(imageHas("/etc/note"))
        XCTAssertEqual(helpers.installer(forDestination: squash).imageRoot, squash)
        XCTAssertTrue(helpers.installer(forDestination: image) === helpers.installer)
    }

    /// build_ld_cache with dstdir: dracut-ng 112 runs ldconfig in that tree; 106 put the loader
    /// configuration there but ran ldconfig on the image.
    func testTheLoaderCacheOfADestinationFollowsTheRelease() throws {
        guard access("/sbin/ldconfig", X_OK) == 0 || access("/usr/sbin/ldconfig", X_OK) == 0 else {
            throw XCTSkip("no ldconfig")
        }
        let squash = image + "/squash_root"
        for follows in [true, false] {
            try? FileManager.default.removeItem(atPath: image)
            try FileManager.default.createDirectory(atPath: squash, withIntermediateDirectories: true)
            let installer = FileInstaller(
                sysroot: sysroot, imageRoot: image, searchPath: ["/usr/bin"], resolver: LibraryResolver(sysroot: sysroot),
                resolvesEagerly: true, logger: Logger(level: .fatal))
            let context = HelperContext(
                sysroot: sysroot, hookDirectories: "", binaryPath: ["/usr/bin"], libraryDirectories: [],
                udevDirectory: "/usr/lib/udev", dracutBaseDirectory: "/usr/lib/dracut",
                followsDracutNG: true, loaderCacheFollowsDestination: follows)
            let helpers = DracutHelpers(installer: installer, context: context, logger: Logger(level: .fatal))
            // The image has its own loader configuration by then, as in a build.
            XCTAssertEqual(helpers.handle(HelperRequest(helper: "inst_simple", arguments: ["/etc/ld.so.conf"])).status, 0)
            let request = HelperRequest(helper: "build_ld_cache", arguments: [], sysroot: sysroot, destination: squash)
            XCTAssertEqual(helpers.handle(request).status, 0)
            XCTAssertTrue(FileManager.default.fileExists(atPath: squash + "/etc/ld.so.conf.d/extra.conf"))
            XCTAssertEqual(FileManager.default.fileExists(atPath: squash + "/etc/ld.so.cache"), follows)
            XCTAssertEqual(FileManager.default.fileExists(atPath: image + "/etc/ld.so.cache"), !follows)
        }
    }

    /// Lazy mode (no sysroot) leaves libraries to the pass after the modules, unless the call
    /// sets DRACUT_RESOLVE_DEPS.
    func testResolvingDependenciesForOneCall() throws {
        let program = ["/usr/bin/true", "/bin/true"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let program else { throw XCTSkip("no true(1) on this host") }
        let lazy = helpers(sysroot: "", eager: false)
        XCTAssertEqual(lazy.handle(HelperRequest(helper: "inst", arguments: [program, "/lazy"], sysroot: "")).status, 0)
        let librariesAfterLazy = try FileManager.default.contentsOfDirectory(atPath: image).sorted()
        XCTAssertEqual(librariesAfterLazy, ["lazy"], "lazy mode installs only the program")
        let request = HelperRequest(helper: "inst", arguments: [program, "/eager"], sysroot: "", resolvesDependencies: true)
        XCTAssertEqual(lazy.handle(request).status, 0)
        XCTAssertGreaterThan(try FileManager.default.contentsOfDirectory(atPath: image).count, 2, "its libraries came too")
        XCTAssertFalse(lazy.installer.resolvesEagerly, "for that call only")
    }

    /// The loader moves the tree away, then installs programs again: their libraries must come
    /// again, not be taken as installed already.
    func testForgettingTheTreeInstallsLibrariesAgain() throws {
        let program = ["/usr/bin/true", "/bin/true"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let program else { throw XCTSkip("no true(1) on this host") }
        let helpers = helpers(sysroot: "")
        XCTAssertEqual(helpers.handle(HelperRequest(helper: "inst", arguments: [program], sysroot: "")).status, 0)
        let installed = try FileManager.default.contentsOfDirectory(atPath: image).sorted()
        for entry in installed { try FileManager.default.removeItem(atPath: image + "/" + entry) }
        helpers.forgetInstalledFiles()
        XCTAssertEqual(helpers.handle(HelperRequest(helper: "inst", arguments: [program], sysroot: "")).status, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: image).sorted(), installed)
    }

    func testBuildLoaderCacheInstallsTheConfigurationAndIndexes() throws {
        let helpers = helpers(sysroot: sysroot)
        XCTAssertEqual(helpers.handle(HelperRequest(helper: "build_ld_cache", arguments: [], sysroot: sysroot)).status, 0)
        XCTAssertTrue(imageHas("/etc/ld.so.conf"))
        XCTAssertTrue(imageHas("/etc/ld.so.conf.d/extra.conf"))
        if geteuid() == 0 { XCTAssertTrue(imageHas("/etc/ld.so.cache"), "ldconfig -r needs root to chroot") }
    }
}
