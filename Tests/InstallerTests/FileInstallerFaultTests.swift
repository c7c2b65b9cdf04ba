import Foundation
import Support
import XCTest

@testable import Installer

/// Files that exist but cannot be installed end with an error naming them, never a crash.
final class FileInstallerFaultTests: XCTestCase {
    private var sysroot = ""
    private var image = ""

    override func setUpWithError() throws {
        sysroot = try ELFTestSupport.makeTemporaryDirectory()
        image = try ELFTestSupport.makeTemporaryDirectory()
    }

    override func tearDown() {
        ELFTestSupport.removeDirectory(sysroot)
        ELFTestSupport.removeDirectory(image)
    }

    private func installer() -> FileInstaller {
        FileInstaller(
            sysroot: sysroot, imageRoot: image, searchPath: ["/usr/bin"], resolver: LibraryResolver(sysroot: sysroot),
            resolvesEagerly: true, logger: Logger(level: .fatal))
    }

    func testASymlinkLoopIsAnErrorNotAStackOverflow() throws {
        try ELFTestSupport.symlink("loop", at: "\(sysroot)/etc/loop")
        XCTAssertThrowsError(try installer().install("/etc/loop")) { error in
            XCTAssertEqual("\(error)", "\(sysroot)/etc/loop: cannot follow the link: Too many levels of symbolic links")
        }
    }

    func testACutELFIsAnErrorNamingIt() throws {
        let head = try Data(contentsOf: URL(fileURLWithPath: "/bin/cat")).prefix(100)
        try ELFTestSupport.write(Array(head), to: "\(sysroot)/usr/bin/cut", mode: 0o755)
        XCTAssertThrowsError(try installer().install("/usr/bin/cut", resolvingDependencies: true)) { error in
            XCTAssertTrue("\(error)".hasPrefix("/usr/bin/cut: truncated ELF"), "\(error)")
        }
    }

    func testDotDotOutOfTheSysrootIsRefused() throws {
        try ELFTestSupport.write("inside\n", to: "\(sysroot)/etc/shadow")
        XCTAssertThrowsError(try installer().sysrootContains("/etc/../../etc/shadow")) { error in
            XCTAssertEqual("\(error)", "/etc/../../etc/shadow: '..' leads outside the sysroot \(sysroot)")
        }
        XCTAssertTrue(try installer().sysrootContains("/etc/../etc/shadow"))
    }

    func testALinkThatClimbsOutOfTheSysrootIsRefused() throws {
        try ELFTestSupport.symlink("../../../../../../../../etc/passwd", at: "\(sysroot)/etc/out")
        XCTAssertThrowsError(try installer().install("/etc/out")) { error in
            XCTAssertTrue("\(error)".hasPrefix("/etc/out: symlink to ../"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: image + "/etc/passwd"))
    }
}
