import Foundation
import XCTest

@testable import Installer

/// A fake system built in a temporary directory: everything is looked up inside it, symlinks
/// included, and nothing is read from the host.
final class LibraryResolverSysrootTests: XCTestCase {
    private var sysroot = ""
    /// A directory name that does not exist on the host, so a lookup that leaked out would fail.
    private let libraries = "/opt/kindling-sysroot-libs"

    override func setUpWithError() throws {
        sysroot = try ELFTestSupport.makeTemporaryDirectory()
        XCTAssertFalse(FileManager.default.fileExists(atPath: libraries))
        // /bin -> usr/bin and /lib64 -> usr/lib64 as on merged-/usr systems; the interpreter is an
        // absolute symlink, which must be read inside the sysroot, not on the host.
        try ELFTestSupport.copy("/bin/bash", to: "\(sysroot)/usr/bin/bash")
        try ELFTestSupport.symlink("usr/bin", at: "\(sysroot)/bin")
        try ELFTestSupport.symlink("usr/lib64", at: "\(sysroot)/lib64")
        try ELFTestSupport.symlink(
            "\(libraries)/ld-linux-x86-64.so.2", at: "\(sysroot)/usr/lib64/ld-linux-x86-64.so.2")
        for library in ["ld-linux-x86-64.so.2", "libc.so.6", "libtinfo.so.6"] {
            try ELFTestSupport.copy("/lib/x86_64-linux-gnu/\(library)", to: "\(sysroot)\(libraries)/\(library)")
        }
        // A 32-bit libc earlier on the path, which a 64-bit program must skip.
        let thirtyTwoBit = SyntheticELF(fileClass: .elf32, machine: .i386, soname: "libc.so.6")
        try ELFTestSupport.write(thirtyTwoBit.bytes(), to: "\(sysroot)/opt/lib32/libc.so.6")
        try ELFTestSupport.write("include /etc/ld.so.conf.d/*.conf\n", to: "\(sysroot)/etc/ld.so.conf")
        try ELFTestSupport.write("/opt/lib32 # 32-bit first\n", to: "\(sysroot)/etc/ld.so.conf.d/10-lib32.conf")
        try ELFTestSupport.write("\(libraries)\n", to: "\(sysroot)/etc/ld.so.conf.d/20-libs.conf")
    }

    override func tearDown() {
        ELFTestSupport.removeDirectory(sysroot)
    }

    func testResolvesInsideTheSysroot() throws {
        let resolver = LibraryResolver(sysroot: sysroot + "/")
        XCTAssertEqual(resolver.sysroot, sysroot)
        let result = try resolver.dependencies(of: "/bin/bash")
        XCTAssertEqual(
            result.files,
            ["\(libraries)/libtinfo.so.6", "\(libraries)/libc.so.6", "/lib64/ld-linux-x86-64.so.2"])
        XCTAssertEqual(result.missing, [])
        XCTAssertEqual(
            try resolver.hostPath(of: "/lib64/ld-linux-x86-64.so.2"), "\(sysroot)\(libraries)/ld-linux-x86-64.so.2")
        XCTAssertEqual(try resolver.hostPath(of: "/bin/bash"), "\(sysroot)/usr/bin/bash")
        XCTAssertNil(try resolver.hostPath(of: "/etc/passwd"), "the host's files are not the sysroot's")
    }

    func testMissingLibrariesAreReportedNotThrown() throws {
        try FileManager.default.removeItem(atPath: "\(sysroot)\(libraries)/libtinfo.so.6")
        let result = try LibraryResolver(sysroot: sysroot).dependencies(of: "/bin/bash")
        XCTAssertEqual(result.missing, ["libtinfo.so.6"])
        XCTAssertEqual(result.files, ["\(libraries)/libc.so.6", "/lib64/ld-linux-x86-64.so.2"])
    }

    func testMissingInterpreterIsReported() throws {
        try FileManager.default.removeItem(atPath: "\(sysroot)\(libraries)/ld-linux-x86-64.so.2")
        let result = try LibraryResolver(sysroot: sysroot).dependencies(of: "/bin/bash")
        XCTAssertEqual(result.missing.first, "/lib64/ld-linux-x86-64.so.2")
    }

    func testOnlyA32BitCandidateMeansMissing() throws {
        try FileManager.default.removeItem(atPath: "\(sysroot)\(libraries)/libc.so.6")
        let result = try LibraryResolver(sysroot: sysroot).dependencies(of: "/bin/bash")
        XCTAssertEqual(result.missing, ["libc.so.6"])
    }

    func testSymlinkLeavingTheSysrootIsRefused() throws {
        let library = "\(sysroot)\(libraries)/libtinfo.so.6"
        try FileManager.default.removeItem(atPath: library)
        try ELFTestSupport.symlink("../../../../../../../../lib/x86_64-linux-gnu/libtinfo.so.6", at: library)
        let resolver = LibraryResolver(sysroot: sysroot)
        XCTAssertThrowsError(try resolver.dependencies(of: "/bin/bash")) { error in
            let refusal = error as? SysrootPathError
            XCTAssertEqual(refusal?.symlink, "\(self.libraries)/libtinfo.so.6")
            XCTAssertTrue("\(error)".contains("leads outside the sysroot \(self.sysroot)"), "\(error)")
        }
        XCTAssertThrowsError(try resolver.hostPath(of: "\(libraries)/libtinfo.so.6"))
    }

    func testAbsoluteSymlinkStaysInsideTheSysroot() throws {
        // On the host this target exists; inside the sysroot it does not.
        let library = "\(sysroot)\(libraries)/libtinfo.so.6"
        try FileManager.default.removeItem(atPath: library)
        try ELFTestSupport.symlink("/lib/x86_64-linux-gnu/libtinfo.so.6", at: library)
        let result = try LibraryResolver(sysroot: sysroot).dependencies(of: "/bin/bash")
        XCTAssertEqual(result.missing, ["libtinfo.so.6"])
    }

    func testDefaultDirectoriesWithoutConfiguration() throws {
        try FileManager.default.removeItem(atPath: "\(sysroot)/etc")
        // Without multiarch directories, a 64-bit program searches /lib64 then /usr/lib64.
        try ELFTestSupport.copy("\(sysroot)\(libraries)/libtinfo.so.6", to: "\(sysroot)/usr/lib64/libtinfo.so.6")
        try ELFTestSupport.copy("\(sysroot)\(libraries)/libc.so.6", to: "\(sysroot)/usr/lib64/libc.so.6")
        let result = try LibraryResolver(sysroot: sysroot).dependencies(of: "/bin/bash")
        XCTAssertEqual(result.files, ["/lib64/libtinfo.so.6", "/lib64/libc.so.6", "/lib64/ld-linux-x86-64.so.2"])
    }

    func testMultiarchDefaultDirectories() throws {
        try FileManager.default.removeItem(atPath: "\(sysroot)/etc")
        let multiarch = "\(sysroot)/usr/lib/x86_64-linux-gnu"
        try ELFTestSupport.copy("\(sysroot)\(libraries)/libtinfo.so.6", to: "\(multiarch)/libtinfo.so.6")
        try ELFTestSupport.copy("\(sysroot)\(libraries)/libc.so.6", to: "\(multiarch)/libc.so.6")
        try ELFTestSupport.symlink("usr/lib", at: "\(sysroot)/lib")
        let result = try LibraryResolver(sysroot: sysroot).dependencies(of: "/bin/bash")
        XCTAssertEqual(
            result.files,
            ["/lib/x86_64-linux-gnu/libtinfo.so.6", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"])
    }

    func testRunpathAndOriginInsideTheSysroot() throws {
        let program = SyntheticELF(
            interpreter: "/lib64/ld-linux-x86-64.so.2", needed: ["libtinfo.so.6", "libplugin.so"],
            runpath: "$ORIGIN/../private:${ORIGIN}/../$LIB")
        try ELFTestSupport.write(program.bytes(), to: "\(sysroot)/opt/app/bin/app", mode: 0o755)
        let plugin = SyntheticELF(needed: ["libc.so.6"])
        try ELFTestSupport.write(plugin.bytes(), to: "\(sysroot)/opt/app/lib64/libplugin.so")
        try ELFTestSupport.copy("\(sysroot)\(libraries)/libtinfo.so.6", to: "\(sysroot)/opt/app/private/libtinfo.so.6")
        let result = try LibraryResolver(sysroot: sysroot).dependencies(of: "/opt/app/bin/app")
        XCTAssertEqual(
            result.files,
            [
                "/opt/app/bin/../private/libtinfo.so.6", "/opt/app/bin/../lib64/libplugin.so", "\(libraries)/libc.so.6",
                "/lib64/ld-linux-x86-64.so.2",
            ])
    }

    func testNoDefaultLibrariesFlagSkipsConfigurationAndDefaults() throws {
        let program = SyntheticELF(
            interpreter: "/lib64/ld-linux-x86-64.so.2", needed: ["libc.so.6"], noDefaultLibraries: true)
        try ELFTestSupport.write(program.bytes(), to: "\(sysroot)/opt/app/app", mode: 0o755)
        let result = try LibraryResolver(sysroot: sysroot).dependencies(of: "/opt/app/app")
        XCTAssertEqual(result.missing, ["libc.so.6"])
        XCTAssertEqual(result.files, ["/lib64/ld-linux-x86-64.so.2"])
    }

    func testUnparsableCandidateIsSkippedAndReported() throws {
        try ELFTestSupport.write("not a library", to: "\(sysroot)/opt/lib32/libtinfo.so.6")
        let result = try LibraryResolver(sysroot: sysroot).dependencies(of: "/bin/bash")
        XCTAssertEqual(result.files.first, "\(libraries)/libtinfo.so.6")
        XCTAssertEqual(result.unusable, [ELFError(path: "/opt/lib32/libtinfo.so.6", reason: .notELF)])
    }

    func testHardwareCapabilityVariantsFollowTheBaseline() throws {
        let variants = "\(sysroot)\(libraries)/glibc-hwcaps"
        try ELFTestSupport.copy("\(sysroot)\(libraries)/libtinfo.so.6", to: "\(variants)/x86-64-v3/libtinfo.so.6")
        try ELFTestSupport.copy("\(sysroot)\(libraries)/libtinfo.so.6", to: "\(variants)/x86-64-v2/libtinfo.so.6")
        try ELFTestSupport.write(SyntheticELF(machine: .aarch64).bytes(), to: "\(variants)/other/libtinfo.so.6")
        let result = try LibraryResolver(sysroot: sysroot).dependencies(of: "/bin/bash")
        XCTAssertEqual(
            result.files,
            [
                "\(libraries)/libtinfo.so.6",
                "\(libraries)/glibc-hwcaps/x86-64-v2/libtinfo.so.6",
                "\(libraries)/glibc-hwcaps/x86-64-v3/libtinfo.so.6",
                "\(libraries)/libc.so.6", "/lib64/ld-linux-x86-64.so.2",
            ])
    }

    func testLoaderCacheComesBeforeConfiguredDirectories() throws {
        // The cache points libtinfo at another directory; ld.so.conf would find the first copy.
        try ELFTestSupport.copy("\(sysroot)\(libraries)/libtinfo.so.6", to: "\(sysroot)/opt/cached/libtinfo.so.6")
        let cache = LoaderCacheWriter(entries: [
            ("libtinfo.so.6", "/opt/cached/libtinfo.so.6", 0),
            ("libc.so.6", "/opt/gone/libc.so.6", 0),  // stale: the search goes on to ld.so.conf
        ])
        try ELFTestSupport.write(cache.bytes(), to: "\(sysroot)/etc/ld.so.cache")
        let result = try LibraryResolver(sysroot: sysroot).dependencies(of: "/bin/bash")
        XCTAssertEqual(
            result.files, ["/opt/cached/libtinfo.so.6", "\(libraries)/libc.so.6", "/lib64/ld-linux-x86-64.so.2"])
    }
}

/// Writes a "glibc-ld.so.cache1.1" file, for sysroot tests that need one without running ldconfig.
struct LoaderCacheWriter {
    var entries: [(soname: String, path: String, hardwareCapabilities: UInt64)]

    func bytes() -> [UInt8] {
        var strings: [UInt8] = []
        let stringsStart = 48 + entries.count * 24
        var writer = ELFByteWriter(endianness: .little, wordSize: 8)
        writer.raw(Array("glibc-ld.so.cache1.1".utf8))
        writer.integer(UInt64(entries.count), width: 4)
        writer.integer(0, width: 4)  // string table length, filled in below
        writer.raw([2, 0, 0, 0])  // little-endian
        writer.integer(0, width: 4)  // no extensions
        writer.raw([UInt8](repeating: 0, count: 12))
        for entry in entries {
            let key = stringsStart + strings.count
            strings += Array(entry.soname.utf8) + [0]
            let value = stringsStart + strings.count
            strings += Array(entry.path.utf8) + [0]
            writer.integer(0x0303, width: 4)
            writer.integer(UInt64(key), width: 4)
            writer.integer(UInt64(value), width: 4)
            writer.integer(0, width: 4)
            writer.integer(entry.hardwareCapabilities, width: 8)
        }
        var bytes = writer.bytes + strings
        let length = UInt32(strings.count)
        for index in 0..<4 { bytes[24 + index] = UInt8(truncatingIfNeeded: length >> (8 * UInt32(index))) }
        return bytes
    }
}
