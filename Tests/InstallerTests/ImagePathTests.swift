import Foundation
import Support
import XCTest

@testable import Installer

/// Paths in the image are the image's: symlinks that module code made there resolve inside it, and
/// one that leads nowhere in it, or out of it, is never followed onto the host.
final class ImagePathTests: XCTestCase {
    private var image = ""
    private var outside = ""

    override func setUpWithError() throws {
        image = try ELFTestSupport.makeTemporaryDirectory()
        outside = try ELFTestSupport.makeTemporaryDirectory()
        for directory in ["usr/lib", "etc", "run"] {
            try FileManager.default.createDirectory(atPath: "\(image)/\(directory)", withIntermediateDirectories: true)
        }
        try "real\n".write(toFile: "\(image)/etc/real", atomically: false, encoding: .utf8)
        for (link, target) in [
            ("lib", "usr/lib"), ("abs", "/usr/lib"), ("out", outside), ("climb", "../../../.."),
            ("etc/link", "/etc/real"), ("etc/dangling", outside + "/file"), ("etc/nowhere", "/run/missing"),
        ] {
            try FileManager.default.createSymbolicLink(atPath: "\(image)/\(link)", withDestinationPath: target)
        }
    }

    override func tearDown() {
        ELFTestSupport.removeDirectory(image)
        ELFTestSupport.removeDirectory(outside)
    }

    private func installer() -> FileInstaller {
        FileInstaller(
            sysroot: "", imageRoot: image, searchPath: [], resolver: LibraryResolver(sysroot: ""),
            resolvesEagerly: false, logger: Logger(level: .fatal))
    }

    /// The shortcut for paths that are normalised already gives what the full normalisation gives.
    func testNormalizedPathsAreRecognisedExactly() throws {
        let installer = installer()
        let paths = [
            "/", "/a", "/a/b", "/.hidden", "/a/...", "/a/..b", "/a/.b/c", "//", "/a/", "/a//b", "/a/./b", "/a/.",
            "/a/../b", "/a/..", "a/b", "", "/é/ü", "/a/b/",
        ]
        for path in paths {
            let normalized = try? installer.normalizedDestination(path)
            XCTAssertEqual(FileInstaller.isNormalized(path), normalized == path, path)
            if let normalized { XCTAssertTrue(FileInstaller.isNormalized(normalized), normalized) }
        }
    }

    /// Runs `checks` on a fresh installer, then twice in one stretch of remembered directories:
    /// the answers may not depend on what was remembered.
    private func eachWay(_ checks: (FileInstaller) throws -> Void) rethrows {
        try checks(installer())
        let remembering = installer()
        try remembering.rememberingDirectories {
            try checks(remembering)
            try checks(remembering)
        }
    }

    func testDirectoriesResolveInsideTheImage() throws {
        try eachWay(assertDirectoriesResolveInsideTheImage)
    }

    private func assertDirectoriesResolveInsideTheImage(_ installer: FileInstaller) throws {
        XCTAssertEqual(try installer.imagePath("/lib/x"), image + "/usr/lib/x")
        XCTAssertEqual(try installer.imagePath("/abs/x"), image + "/usr/lib/x")
        XCTAssertEqual(try installer.imagePath("/lib/missing/deeper/x"), image + "/usr/lib/missing/deeper/x")
        XCTAssertEqual(try installer.imagePath("/etc/link"), image + "/etc/link", "the last component is left as it is")
        XCTAssertEqual(try installer.imageFilePath("/etc/link"), image + "/etc/real")
        XCTAssertEqual(try installer.imageFilePath("/etc/new"), image + "/etc/new")
    }

    func testALinkThatLeadsNowhereInTheImageIsNotWrittenThrough() {
        eachWay(assertALinkThatLeadsNowhereIsNotWrittenThrough)
    }

    private func assertALinkThatLeadsNowhereIsNotWrittenThrough(_ installer: FileInstaller) {
        XCTAssertThrowsError(try installer.imagePath("/out/file")) { error in
            XCTAssertEqual("\(error)", "/out: /out is a symlink in the image that leads nowhere in it; not written through")
        }
        XCTAssertThrowsError(try installer.imageFilePath("/etc/dangling"))
        XCTAssertThrowsError(try installer.imageFilePath("/etc/nowhere"))
        XCTAssertThrowsError(try installer.imagePath("/climb/file")) { error in
            XCTAssertEqual("\(error)", "/climb: symlink /climb -> ../../../.. in the image leads outside it")
        }
        XCTAssertFalse(installer.imageContains("/out/file"))
    }

    func testInstallingThroughAModuleSymlinkNeverWritesOnTheHost() throws {
        let installer = installer()
        XCTAssertThrowsError(try installer.installDirectory("/out/dir"))
        try FileManager.default.createSymbolicLink(atPath: "\(image)/usr/lib/dracut", withDestinationPath: outside)
        XCTAssertThrowsError(try installer.recordHostonly("/x"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outside), [])
    }

    func testTheUnversionedLinkOfALibrary() {
        XCTAssertEqual(FileInstaller.unversionedLink(of: "/usr/lib/libc.so.6"), "/usr/lib/libc.so")
        XCTAssertEqual(FileInstaller.unversionedLink(of: "/lib/libfoo.so.1.2.3"), "/lib/libfoo.so")
        XCTAssertEqual(FileInstaller.unversionedLink(of: "/a.so.b/libx.so.1"), "/a.so", "the first .so. counts, as before")
        XCTAssertNil(FileInstaller.unversionedLink(of: "/usr/lib/libc.so"))
        XCTAssertNil(FileInstaller.unversionedLink(of: "/usr/lib64/ld-linux-x86-64.so"))
        XCTAssertNil(FileInstaller.unversionedLink(of: ".so"))
    }
}
