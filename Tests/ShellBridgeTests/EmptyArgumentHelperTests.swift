import Foundation
import Installer
import Support
import XCTest

@testable import ShellBridge

/// The file helpers given an empty name, as dracut 059 answers them (Tests/integration/fault-matrix.d/30-values.sh
/// compares with dracut itself): where dracut fails, status 1 and one line naming the helper; where it
/// succeeds, status 0; and never anything in the image dracut would not put there. `inst_simple "" DST`
/// used to make a directory at DST from the sysroot's root.
final class EmptyArgumentHelperTests: XCTestCase {
    private var sysroot = "", image = ""

    override func setUpWithError() throws {
        let base = NSTemporaryDirectory() + "kindling-empty-\(UUID().uuidString)"
        sysroot = base + "/sysroot"
        image = base + "/image"
        for directory in [sysroot + "/etc", sysroot + "/usr/bin", image] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        try "host\n".write(toFile: sysroot + "/etc/hostname", atomically: true, encoding: .utf8)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: (sysroot as NSString).deletingLastPathComponent)
    }

    private func helpers() -> DracutHelpers {
        let installer = FileInstaller(
            sysroot: sysroot, imageRoot: image, searchPath: ["/usr/bin"], resolver: LibraryResolver(sysroot: sysroot),
            resolvesEagerly: true, logger: Logger(level: .fatal))
        let context = HelperContext(
            sysroot: sysroot, hookDirectories: "pre-mount", binaryPath: ["/usr/bin"], libraryDirectories: [],
            udevDirectory: "/usr/lib/udev", dracutBaseDirectory: "/usr/lib/dracut")
        return DracutHelpers(installer: installer, context: context, logger: Logger(level: .fatal))
    }

    private func imageEntries() throws -> [String] {
        (FileManager.default.enumerator(atPath: image)?.allObjects as? [String] ?? []).sorted()
    }

    func testEmptyNamesAreAnsweredAsDracutDoesAndCreateNothing() throws {
        // helper, arguments, dracut 059's status.
        let cases: [(String, [String], Int32)] = [
            ("inst", [""], 0), ("inst_simple", [""], 0), ("inst_simple", ["", "/etc/x"], 1),
            ("inst_simple", ["/etc/hostname", ""], 0), ("inst", ["/etc/hostname", ""], 0),
            ("inst_multiple", [""], 0), ("inst_multiple", ["-o", ""], 0), ("inst_dir", [""], 0),
            ("inst_symlink", [""], 0), ("inst_symlink", ["", "/etc/x"], 1), ("inst_library", [""], 0),
            ("inst_library", ["", "/etc/x"], 1), ("inst_binary", [""], 0), ("inst_binary", ["/usr/bin/x", ""], 0),
            ("inst_script", [""], 0),
            // dracut 059 makes a directory at /etc/x here (dracut-install takes "" for a directory);
            // Kindling fails instead, naming the helper, and makes nothing.
            ("inst", ["", "/etc/x"], 1),
        ]
        for (helper, arguments, status) in cases {
            let reply = helpers().handle(HelperRequest(helper: helper, arguments: arguments))
            XCTAssertEqual(reply.status, status, "\(helper) \(arguments)")
            XCTAssertEqual(try imageEntries(), [], "\(helper) \(arguments) created something")
        }
    }

    func testTheInstallerTakesNoEmptySourceForTheSysrootsRoot() throws {
        let installer = FileInstaller(
            sysroot: sysroot, imageRoot: image, searchPath: ["/usr/bin"], resolver: LibraryResolver(sysroot: sysroot),
            resolvesEagerly: true, logger: Logger(level: .fatal))
        XCTAssertFalse(try installer.sysrootContains(""))
        XCTAssertFalse(try installer.install("", at: "/etc/x"))
        XCTAssertEqual(try imageEntries(), [])
    }
}
