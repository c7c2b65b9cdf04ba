import Foundation
import Support
import XCTest

@testable import Installer

/// The resolver's building blocks: sysroot path resolution, ld.so.conf, ld.so.cache, tokens.
final class ELFLoaderPiecesTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = try ELFTestSupport.makeTemporaryDirectory()
    }

    override func tearDown() {
        ELFTestSupport.removeDirectory(root)
    }

    // MARK: Sysroot paths

    func testSysrootResolution() throws {
        try makeResolutionTree()
        try assertResolutions(SysrootPaths(sysroot: root + "//"))
    }

    /// Inside a stretch the walks of directories are remembered: every answer is the one a fresh
    /// walk gives, asked once (the walks made) and again (the walks remembered).
    func testRememberedDirectoriesGiveTheSameAnswers() throws {
        try makeResolutionTree()
        let remembered = RememberedDirectories()
        let paths = SysrootPaths(sysroot: root, remembering: remembered)
        remembered.begin()
        defer { remembered.end() }
        try assertResolutions(paths)
        try assertResolutions(paths)
    }

    /// A stretch forgets what it resolved when it ends: module code runs between stretches and
    /// may have replaced a directory with a symlink.
    func testRememberedDirectoriesAreForgottenAfterTheStretch() throws {
        try ELFTestSupport.write("old", to: "\(root)/old/file")
        try ELFTestSupport.write("new", to: "\(root)/new/file")
        try ELFTestSupport.symlink("old", at: "\(root)/current")
        let remembered = RememberedDirectories()
        let paths = SysrootPaths(sysroot: root, remembering: remembered)
        remembered.begin()
        XCTAssertEqual(try paths.resolve("/current/file"), "/old/file")
        remembered.end()
        XCTAssertFalse(remembered.isActive)
        try FileManager.default.removeItem(atPath: "\(root)/current")
        try ELFTestSupport.symlink("new", at: "\(root)/current")
        remembered.begin()
        defer { remembered.end() }
        XCTAssertEqual(try paths.resolve("/current/file"), "/new/file")
        XCTAssertEqual(try paths.resolve("/current/file"), "/new/file")
    }

    private func makeResolutionTree() throws {
        try ELFTestSupport.write("x", to: "\(root)/usr/lib/file")
        try ELFTestSupport.symlink("usr/lib", at: "\(root)/lib")
        try ELFTestSupport.symlink("/usr/lib/file", at: "\(root)/usr/absolute")
        try ELFTestSupport.symlink("../lib/file", at: "\(root)/usr/bin/relative")
        try ELFTestSupport.symlink("loop-b", at: "\(root)/loop-a")
        try ELFTestSupport.symlink("loop-a", at: "\(root)/loop-b")
        try ELFTestSupport.symlink("../../../etc", at: "\(root)/usr/escape")
    }

    private func assertResolutions(_ paths: SysrootPaths, line: UInt = #line) throws {
        XCTAssertEqual(paths.sysroot, root, line: line)
        XCTAssertEqual(try paths.resolve("/lib/file"), "/usr/lib/file", line: line)
        XCTAssertEqual(try paths.resolve("/usr/absolute"), "/usr/lib/file", line: line)
        XCTAssertEqual(try paths.resolve("/usr/bin/relative"), "/usr/lib/file", line: line)
        XCTAssertEqual(try paths.resolve("/usr/bin/../lib/./file"), "/usr/lib/file", line: line)
        XCTAssertThrowsError(try paths.resolve("/usr/../../lib/file"), "a written `..` may not climb out", line: line) {
            error in
            XCTAssertEqual("\(error)", "/usr/../../lib/file: '..' leads outside the sysroot \(self.root)", line: line)
        }
        XCTAssertEqual(try SysrootPaths(sysroot: "").resolve("/../../"), "/", "on the host `..` stops at /", line: line)
        XCTAssertEqual(try paths.resolve("/"), "/", line: line)
        XCTAssertEqual(try paths.resolve("/usr/lib"), "/usr/lib", line: line)
        XCTAssertEqual(try paths.resolve("/lib"), "/usr/lib", line: line)
        XCTAssertNil(try paths.resolve("/lib/missing"), line: line)
        XCTAssertNil(try paths.resolve("/lib/file/more"), "a file is not a directory", line: line)
        XCTAssertNil(try paths.resolve("/loop-a"), "symlink loops end", line: line)
        XCTAssertNil(try paths.resolve("/loop-a/file"), "symlink loops end", line: line)
        XCTAssertThrowsError(try paths.resolve("/usr/escape/passwd"), line: line) { error in
            XCTAssertEqual(
                "\(error)",
                "/usr/escape/passwd: symlink /usr/escape -> ../../../etc leads outside the sysroot \(self.root)",
                line: line)
        }
    }

    func testDirectoryEntriesAreSorted() throws {
        for name in ["b", "a", "c"] { try ELFTestSupport.write("", to: "\(root)/dir/\(name)") }
        XCTAssertEqual(try SysrootPaths(sysroot: root).directoryEntries("/dir"), ["a", "b", "c"])
        XCTAssertEqual(try SysrootPaths(sysroot: root).directoryEntries("/none"), [])
    }

    func testPathText() {
        XCTAssertEqual(PathText.directory(of: "/a/b/c.so"), "/a/b")
        XCTAssertEqual(PathText.directory(of: "/c.so"), "/")
        XCTAssertEqual(PathText.join("/", "x"), "/x")
        XCTAssertEqual(PathText.join("/a/../b", "x"), "/a/../b/x")
        XCTAssertEqual(PathText.components(of: "//a/b//c/"), ["a", "b", "c"])
        XCTAssertEqual(PathText.lastComponent(of: "/a/b/c.so"), "c.so")
        XCTAssertEqual(PathText.lastComponent(of: "c.so"), "c.so")
        // The kernel splits at "/" bytes: a combining mark after a slash makes it part of one
        // Character, and must not hide the slash.
        XCTAssertEqual(PathText.components(of: "/a/\u{301}b"), ["a", "\u{301}b"])
        XCTAssertEqual(PathText.directory(of: "/a/\u{301}b"), "/a")
    }

    // MARK: ld.so.conf

    func testConfigurationFollowsIncludesInOrder() throws {
        try ELFTestSupport.write(
            """
            # system libraries
            /usr/local/lib
            include /etc/ld.so.conf.d/*.conf
            include extra/more.conf
            hwcap 0 nosegneg
            /opt/last/  # trailing slash and comment
            /usr/local/lib
            /old/style=libc6
            relative/dir

            """, to: "\(root)/etc/ld.so.conf")
        try ELFTestSupport.write("/from/b\n", to: "\(root)/etc/ld.so.conf.d/b.conf")
        try ELFTestSupport.write("/from/a\ninclude /etc/ld.so.conf\n", to: "\(root)/etc/ld.so.conf.d/a.conf")
        try ELFTestSupport.write("/ignored\n", to: "\(root)/etc/ld.so.conf.d/a.conf.disabled")
        try ELFTestSupport.write("/hidden\n", to: "\(root)/etc/ld.so.conf.d/.hidden.conf")
        try ELFTestSupport.write("/from/more\n", to: "\(root)/etc/extra/more.conf")
        let configuration = try LoaderConfiguration(paths: SysrootPaths(sysroot: root))
        XCTAssertEqual(
            configuration.directories,
            ["/usr/local/lib", "/from/a", "/from/b", "/from/more", "/opt/last", "/old/style"])
    }

    func testConfigurationOfTheHostMatchesLdconfig() throws {
        // Every directory ldconfig scans (it prints "dir: (from file:line)") is in ours, in order.
        try ELFTestSupport.requireTool("/sbin/ldconfig")
        guard let text = ELFTestSupport.output(of: "/sbin/ldconfig", ["-N", "-X", "-v"]) else {
            throw XCTSkip("ldconfig -v failed")
        }
        let scanned = text.split(separator: "\n").filter { !$0.hasPrefix("\t") && $0.contains("(from ") }
            .map { String($0.prefix { $0 != ":" }) }
        let ours = try LoaderConfiguration(paths: SysrootPaths(sysroot: "")).directories
        XCTAssertEqual(ours.filter(scanned.contains), scanned.filter(ours.contains))
        XCTAssertFalse(ours.isEmpty)
    }

    // MARK: ld.so.cache

    func testHostCacheMatchesLdconfig() throws {
        try ELFTestSupport.requireTool("/sbin/ldconfig")
        let cache = try XCTUnwrap(LoaderCache(bytes: ELFTestSupport.bytes(of: "/etc/ld.so.cache")))
        let listed = try XCTUnwrap(ELFTestSupport.output(of: "/sbin/ldconfig", ["-p"]))
        XCTAssertEqual(cache.entries.map { "\($0.soname) \($0.path)" }, Self.ldconfigEntries(listed))
    }

    func testCompatFormatCacheMatchesLdconfig() throws {
        // ldconfig can still write the old table followed by the new one; -X leaves links alone.
        try ELFTestSupport.requireTool("/sbin/ldconfig")
        let file = "\(root)/compat.cache"
        guard ELFTestSupport.output(of: "/sbin/ldconfig", ["-X", "-c", "compat", "-C", file]) != nil,
            let listed = ELFTestSupport.output(of: "/sbin/ldconfig", ["-p", "-C", file])
        else { throw XCTSkip("ldconfig cannot write a cache here") }
        let bytes = try ELFTestSupport.bytes(of: file)
        XCTAssertTrue(bytes.starts(with: Array("ld.so-1.7.0".utf8)))
        let cache = try XCTUnwrap(LoaderCache(bytes: bytes))
        XCTAssertEqual(cache.entries.map { "\($0.soname) \($0.path)" }, Self.ldconfigEntries(listed))
    }

    func testCacheLookupPrefersBaselineEntries() throws {
        let cache = try XCTUnwrap(
            LoaderCache(
                bytes: LoaderCacheWriter(entries: [
                    ("libfoo.so.1", "/lib/glibc-hwcaps/x86-64-v3/libfoo.so.1", 1 << 62),
                    ("libfoo.so.1", "/lib/libfoo.so.1", 0),
                    ("libbar.so.2", "/usr/lib/libbar.so.2", 0),
                ]).bytes()))
        XCTAssertEqual(cache.paths(for: "libfoo.so.1"), ["/lib/libfoo.so.1", "/lib/glibc-hwcaps/x86-64-v3/libfoo.so.1"])
        XCTAssertEqual(cache.paths(for: "libbar.so.2"), ["/usr/lib/libbar.so.2"])
        XCTAssertEqual(cache.paths(for: "libnone.so"), [])
    }

    func testCorruptCachesAreIgnored() throws {
        let good = LoaderCacheWriter(entries: [("libfoo.so.1", "/lib/libfoo.so.1", 0)]).bytes()
        XCTAssertNil(LoaderCache(bytes: []))
        XCTAssertNil(LoaderCache(bytes: Array("glibc-ld.so.cache1.1".utf8)))
        XCTAssertNil(LoaderCache(bytes: Array(good.prefix(60))), "fewer entries than announced")
        var badOffsets = good
        badOffsets[52] = 0xFF; badOffsets[53] = 0xFF  // key offset of the entry
        XCTAssertEqual(LoaderCache(bytes: badOffsets)?.entries, [])
        var generator = ELFTestRandom(seed: 11)
        for _ in 0..<300 {
            var bytes = good
            bytes[20 + Int(generator.next() % UInt64(bytes.count - 20))] = UInt8(truncatingIfNeeded: generator.next())
            _ = LoaderCache(bytes: bytes)
        }
    }

    private static func ldconfigEntries(_ listing: String) -> [String] {
        listing.split(separator: "\n").dropFirst().compactMap { line in
            let parts = line.trimmingCharacters(in: .whitespaces).components(separatedBy: " => ")
            guard parts.count == 2, let soname = parts[0].split(separator: " ").first else { return nil }
            return "\(soname) \(parts[1])"
        }
    }

    // MARK: Platform and tokens

    func testTokenExpansion() throws {
        try FileManager.default.createDirectory(
            atPath: "\(root)/usr/lib/x86_64-linux-gnu", withIntermediateDirectories: true)
        let program = ELFFile(
            path: "/p", fileClass: .elf64, endianness: .little, machine: .x86_64, objectType: .executable)
        let debian = try LoaderPlatform(for: program, in: SysrootPaths(sysroot: root))
        XCTAssertEqual(
            debian.defaultDirectories, ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib"])
        XCTAssertEqual(debian.expandTokens(in: "$ORIGIN/../lib", origin: "/opt/x/bin"), "/opt/x/bin/../lib")
        XCTAssertEqual(
            debian.expandTokens(in: "${ORIGIN}/a:$LIB/${LIB}", origin: "/o"),
            "/o/a:lib/x86_64-linux-gnu/lib/x86_64-linux-gnu")
        XCTAssertEqual(debian.expandTokens(in: "/p/$PLATFORM", origin: "/o"), "/p/x86_64")
        XCTAssertEqual(debian.expandTokens(in: "$ORIGINAL/$HOME/a$", origin: "/o"), "$ORIGINAL/$HOME/a$")
        XCTAssertEqual(debian.expandTokens(in: "/plain", origin: "/o"), "/plain")

        let fedora = try LoaderPlatform(for: program, in: SysrootPaths(sysroot: "\(root)/empty"))
        XCTAssertEqual(fedora.defaultDirectories, ["/lib64", "/usr/lib64", "/lib", "/usr/lib"])
        XCTAssertEqual(fedora.expandTokens(in: "/x/$LIB", origin: "/o"), "/x/lib64")

        let arm = ELFFile(path: "/p", fileClass: .elf32, endianness: .little, machine: .arm, objectType: .executable)
        let armPlatform = try LoaderPlatform(for: arm, in: SysrootPaths(sysroot: root))
        XCTAssertEqual(armPlatform.defaultDirectories, ["/lib", "/usr/lib"])
        XCTAssertNil(armPlatform.expandTokens(in: "/p/$PLATFORM", origin: "/o"), "no value: the element is dropped")
    }
}
