import Foundation
import XCTest
@testable import Archive

/// Runs the built kindling-lsinitrd, which SwiftPM puts next to the test bundle.
final class LsinitrdTests: XCTestCase {
    private var executable: String {
        get throws {
            let testBinary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
            var directory = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
            // On Linux the test binary may sit inside a .xctest directory.
            while directory.path != "/" {
                let candidate = directory.appendingPathComponent("kindling-lsinitrd").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
                directory.deleteLastPathComponent()
            }
            throw XCTSkip("kindling-lsinitrd has not been built next to the tests")
        }
    }

    private static let modificationTime: Int64 = 1_700_000_000

    private func entry(_ path: RawPath, _ kind: ArchiveEntry.Kind, _ mode: UInt32) -> ArchiveEntry {
        ArchiveEntry(path: path, kind: kind, mode: mode, modificationTime: LsinitrdTests.modificationTime)
    }

    private func text(_ string: String) -> ArchiveEntry.Kind { .regularFile(.bytes(Array(string.utf8))) }

    /// A dracut-like image: an early microcode archive, then a gzip-compressed main archive.
    private func makeImage(in directory: TemporaryDirectory, extraMain: [ArchiveEntry] = []) throws -> String {
        let early = [
            entry(".", .directory, 0o755),
            entry("early_cpio", text("1\n"), 0o644),
            entry("kernel", .directory, 0o755),
            entry("kernel/x86", .directory, 0o755),
            entry("kernel/x86/microcode", .directory, 0o755),
            entry("kernel/x86/microcode/GenuineIntel.bin", .regularFile(.bytes(pseudoRandomBytes(3000))), 0o644),
        ]
        let main =
            [
                entry(".", .directory, 0o755),
                entry("bin", .symlink(target: "usr/bin"), 0o777),
                entry("init", text("#!/bin/sh\necho hello\n"), 0o755),
                entry("etc", .directory, 0o755),
                entry("etc/with space.conf", text("spaced\n"), 0o644),
                entry("usr", .directory, 0o755),
                entry("usr/bin", .directory, 0o755),
                entry("usr/bin/tool", .regularFile(.bytes(pseudoRandomBytes(20_000))), 0o4755),
                entry("usr/lib", .directory, 0o755),
                entry("usr/lib/dracut", .directory, 0o755),
                entry("usr/lib/dracut/dracut-059-kindling", text("059-kindling\n"), 0o644),
                entry("usr/lib/dracut/build-parameter.txt", text(" --force -m 'base bash'\n"), 0o644),
                entry("usr/lib/dracut/modules.txt", text("bash\nbase\n"), 0o644),
            ] + extraMain
        let path = directory.path + "/initrd.img"
        let file = try FileSink(creating: path)
        try CpioWriter(sink: file).writeArchive(early)
        let gzip = try GzipSink(forwardingTo: file)
        try CpioWriter(sink: gzip).writeArchive(main)
        try gzip.finish()
        return path
    }

    private func lsinitrd(_ arguments: [String], in directory: String? = nil) throws -> ToolResult {
        try runTool(try executable, arguments, in: directory)
    }

    func testListingShowsHeaderEarlyArchiveAndEntries() throws {
        let directory = try TemporaryDirectory()
        let image = try makeImage(in: directory)
        let result = try lsinitrd([image])
        XCTAssertEqual(result.status, 0, result.errorText)
        let lines = result.outputText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let rule = String(repeating: "=", count: 72)
        XCTAssertTrue(lines[0].hasPrefix("Image: \(image): "), lines[0])
        XCTAssertEqual(lines[1], rule)
        XCTAssertEqual(lines[2], "Early CPIO image")
        XCTAssertTrue(lines.contains { $0.hasSuffix(" kernel/x86/microcode/GenuineIntel.bin") })
        XCTAssertTrue(lines.contains("Version: 059-kindling"))
        XCTAssertTrue(lines.contains("Arguments:  --force -m 'base bash'"))
        let modules = lines.firstIndex(of: "dracut modules:")!
        XCTAssertEqual(Array(lines[(modules + 1)...(modules + 3)]), ["bash", "base", rule])
        func hasLine(_ start: String, _ end: String) -> Bool { lines.contains { $0.hasPrefix(start) && $0.hasSuffix(end) } }
        XCTAssertTrue(hasLine("lrwxrwxrwx   1 root     root            7 ", " bin -> usr/bin"))
        XCTAssertTrue(hasLine("-rwsr-xr-x   1 root     root        20000 ", " usr/bin/tool"))
        XCTAssertTrue(lines.contains { $0.hasSuffix(" etc/with space.conf") })
        XCTAssertEqual(lines.last, "")
        XCTAssertEqual(lines[lines.count - 2], rule)
    }

    /// The same image through dracut's own lsinitrd must give the same text.
    func testOutputMatchesDracutLsinitrd() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/lsinitrd") else {
            throw XCTSkip("dracut's lsinitrd is not installed")
        }
        let directory = try TemporaryDirectory()
        // Device lines have one more field, which shifts where sort's keys start: a quirk to match.
        var oldDevice = entry("dev/null", .characterDevice(DeviceNumber(major: 1, minor: 3)), 0o666)
        oldDevice.modificationTime = 1_500_000_000
        let image = try makeImage(
            in: directory,
            extraMain: [
                entry("zero", .regularFile(.bytes([])), 0o600),
                entry("z-dir", .directory, 0o700),
                entry("dev", .directory, 0o755),
                entry("dev/console", .characterDevice(DeviceNumber(major: 5, minor: 1)), 0o600),
                entry("dev/sda", .blockDevice(DeviceNumber(major: 8, minor: 0)), 0o660),
                oldDevice,
            ])
        for options in [[], ["-s"], ["-m"], ["-f", "/etc/with space.conf"], ["-f", "early_cpio"]] {
            let ours = try lsinitrd(options + [image])
            let theirs = try runTool("/usr/bin/lsinitrd", options + [image])
            XCTAssertEqual(ours.status, theirs.status, "\(options)")
            XCTAssertEqual(ours.outputText, theirs.outputText, "\(options)")
        }
    }

    func testPrintsFileContents() throws {
        let directory = try TemporaryDirectory()
        let image = try makeImage(in: directory)
        XCTAssertEqual(try lsinitrd(["-f", "/init", image]).outputText, "#!/bin/sh\necho hello\n")
        XCTAssertEqual(try lsinitrd([image, "init"]).outputText, "#!/bin/sh\necho hello\n")
        let rule = String(repeating: "=", count: 72)
        XCTAssertEqual(
            try lsinitrd(["--file=init", "-f", "usr/lib/dracut/modules.txt", image]).outputText,
            "initramfs:/init\n\(rule)\n#!/bin/sh\necho hello\n\(rule)\n\n"
                + "initramfs:/usr/lib/dracut/modules.txt\n\(rule)\nbash\nbase\n\(rule)\n\n")
    }

    func testUnpacksMainAndEarlyArchivesSeparately() throws {
        let directory = try TemporaryDirectory()
        let image = try makeImage(in: directory)
        let main = directory.path + "/main", early = directory.path + "/early"
        try makeDirectory(RawPath(main))
        try makeDirectory(RawPath(early))

        let unpacked = try lsinitrd(["--unpack", "-v", image], in: main)
        XCTAssertEqual(unpacked.status, 0, unpacked.errorText)
        XCTAssertTrue(unpacked.errorText.contains("usr/bin/tool\n"))
        XCTAssertEqual(try readFile(RawPath(main + "/usr/bin/tool")), pseudoRandomBytes(20_000))
        XCTAssertEqual(fileStatus(RawPath(main + "/usr/bin/tool"))!.st_mode & 0o7777, 0o4755)
        XCTAssertEqual(symlinkTarget(RawPath(main + "/bin")), "usr/bin")
        XCTAssertNil(fileStatus(RawPath(main + "/early_cpio")))

        XCTAssertEqual(try lsinitrd(["--unpackearly", image], in: early).status, 0)
        XCTAssertEqual(try readFile(RawPath(early + "/early_cpio")), Array("1\n".utf8))
        XCTAssertNil(fileStatus(RawPath(early + "/init")))

        let only = directory.path + "/only"
        try makeDirectory(RawPath(only))
        XCTAssertEqual(try lsinitrd(["--unpack", image, "etc/*"], in: only).status, 0)
        XCTAssertNotNil(fileStatus(RawPath(only + "/etc/with space.conf")))
        XCTAssertNil(fileStatus(RawPath(only + "/init")))
    }

    /// --svg draws the image as a treemap: top directories (and files at the root) as the top
    /// level, the early archive as a box of its own, sizes as the archive holds them.
    func testDrawsTheImageByTopDirectory() throws {
        let directory = try TemporaryDirectory()
        let image = try makeImage(in: directory)
        let map = directory.path + "/map.svg"
        let result = try lsinitrd(["--svg", map, image])
        XCTAssertEqual(result.status, 0, result.errorText)
        XCTAssertEqual(result.outputText, "")
        let svg = String(decoding: try readFile(RawPath(map)), as: UTF8.self)
        // Only top-level boxes are named: kind, bytes and name of each, largest first.
        let pattern = try NSRegularExpression(pattern: #"<g class="(\w+)" data-bytes="(\d+)" data-name="([^"]*)""#)
        let topLevel = pattern.matches(in: svg, range: NSRange(svg.startIndex..., in: svg)).map { match in
            (1...3).map { String(svg[Range(match.range(at: $0), in: svg)!]) }.joined(separator: " ")
        }
        // usr: the tool and the three dracut files; early: the microcode and early_cpio.
        XCTAssertEqual(topLevel, ["directory 20047 usr", "group 3002 early", "file 21 init", "directory 7 etc"], svg)
        XCTAssertTrue(svg.contains("<g id=\"map\" data-bytes=\"23077\">"), svg)
        XCTAssertTrue(svg.contains("<title>/usr/bin/tool\n19.5 KiB (20,000 bytes)</title>"), svg)

        let etcOnly = try lsinitrd(["--svg=\(map)", image, "etc/*"])
        XCTAssertEqual(etcOnly.status, 0, etcOnly.errorText)
        XCTAssertTrue(String(decoding: try readFile(RawPath(map)), as: UTF8.self).contains("<g id=\"map\" data-bytes=\"7\">"))

        let unwritable = try lsinitrd(["--svg", "/nonexistent/map.svg", image])
        XCTAssertEqual(unwritable.status, 1)
        XCTAssertEqual(
            unwritable.errorText, "kindling-lsinitrd: \(image): cannot write the --svg map '/nonexistent/map.svg': No such file or directory\n")
    }

    func testUnpackRefusesUnsafeMembers() throws {
        let directory = try TemporaryDirectory()
        let image = directory.path + "/evil.img"
        try writeFile(RawPath(image), craftedArchive([("../evil", 0o100644, Array("x".utf8)), ("good", 0o100644, [])]))
        let out = directory.path + "/out"
        try makeDirectory(RawPath(out))
        let result = try lsinitrd(["--unpack", image], in: out)
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.errorText, "kindling-lsinitrd: refusing to extract '../evil': path contains '..'\n")
        XCTAssertNil(fileStatus(RawPath(directory.path + "/evil")))
        XCTAssertNotNil(fileStatus(RawPath(out + "/good")))
    }

    func testErrorsAreOneLineWithStatusOne() throws {
        let missing = try lsinitrd(["/nonexistent/initrd.img"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(
            missing.errorText,
            "kindling-lsinitrd: /nonexistent/initrd.img does not exist or is not a regular file\n")

        let directory = try TemporaryDirectory()
        let garbage = directory.path + "/garbage.img"
        try writeFile(RawPath(garbage), Array("not an initramfs".utf8))
        let result = try lsinitrd([garbage])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(
            result.errorText,
            "kindling-lsinitrd: unsupported format: unrecognized data (starts with not an i), "
                + "at byte 0 of '\(garbage)'\n")

        let badOption = try lsinitrd(["--bogus"])
        XCTAssertEqual(badOption.status, 1)
        XCTAssertEqual(badOption.errorText, "kindling-lsinitrd: unrecognized option '--bogus' (see --help)\n")
    }

    func testAMistypedLongOptionGetsTheNearestName() throws {
        let swapped = try lsinitrd(["--kvre", "6.1"])
        XCTAssertEqual(swapped.status, 1)
        XCTAssertEqual(swapped.errorText, "kindling-lsinitrd: unrecognized option '--kvre'; did you mean '--kver'? (see --help)\n")
        let missingLetter = try lsinitrd(["--unpak"])
        XCTAssertEqual(missingLetter.errorText, "kindling-lsinitrd: unrecognized option '--unpak'; did you mean '--unpack'? (see --help)\n")
        // A prefix of an option is that option, as getopt has it: no suggestion needed.
        let abbreviated = try lsinitrd(["--verb", "--help"])
        XCTAssertEqual(abbreviated.status, 0, abbreviated.errorText)
        let tooFar = try lsinitrd(["--frobnicate"])
        XCTAssertEqual(tooFar.errorText, "kindling-lsinitrd: unrecognized option '--frobnicate' (see --help)\n")
    }
}
