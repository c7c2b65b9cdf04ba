import XCTest
@testable import Configuration

final class CommandLineParserTests: XCTestCase {
    let parser = CommandLineParser()

    func testShortAndLongFormsWithAttachedAndSeparateValues() throws {
        let parsed = try parser.parse(["-m", "base bash", "--add=crypt", "--omit", "plymouth", "-abtrfs", "-fv", "out.img", "6.1"])
        XCTAssertEqual(parsed.values(of: "modules"), ["base bash"])
        XCTAssertEqual(parsed.values(of: "add"), ["crypt", "btrfs"])
        XCTAssertEqual(parsed.values(of: "omit"), ["plymouth"])
        XCTAssertTrue(parsed.contains("force"))
        XCTAssertTrue(parsed.contains("verbose"))
        XCTAssertEqual(parsed.positionals, ["out.img", "6.1"])
    }

    func testIncludeTakesTwoValuesAndOptionsMayFollowOperands() throws {
        let parsed = try parser.parse(["out.img", "-i", "/src dir", "/dst", "--no-kernel", "--include", "a", "b"])
        XCTAssertEqual(parsed.includes.map(\.source), ["/src dir", "a"])
        XCTAssertEqual(parsed.includes.map(\.target), ["/dst", "b"])
        XCTAssertEqual(parsed.positionals, ["out.img"])
        XCTAssertTrue(parsed.contains("no-kernel"))
    }

    func testUnambiguousAbbreviationsAreAcceptedAndAmbiguousOnesRejected() throws {
        XCTAssertTrue(try parser.parse(["--no-kern"]).contains("no-kernel"))
        XCTAssertThrowsError(try parser.parse(["--no-host"])) { error in
            XCTAssertTrue("\(error)".contains("ambiguous"), "\(error)")
        }
    }

    func testUnknownOptionsAndMissingValuesAreErrorsNamingTheOption() {
        XCTAssertThrowsError(try parser.parse(["--frobnicate"])) { XCTAssertEqual("\($0)", "unrecognized option '--frobnicate'") }
        XCTAssertThrowsError(try parser.parse(["--kvr", "6.1"])) {
            XCTAssertEqual("\($0)", "unrecognized option '--kvr'; did you mean '--kver'?")
        }
        XCTAssertThrowsError(try parser.parse(["--hostonyl-mode=strict"])) {
            XCTAssertEqual("\($0)", "unrecognized option '--hostonyl-mode=strict'; did you mean '--hostonly-mode'?")
        }
        XCTAssertThrowsError(try parser.parse(["--kver"])) { XCTAssertEqual("\($0)", "option '--kver' requires an argument") }
        XCTAssertThrowsError(try parser.parse(["-Z"])) { XCTAssertEqual("\($0)", "invalid option -- 'Z'") }
        XCTAssertThrowsError(try parser.parse(["--force=yes"]))
    }

    func testDoubleDashEndsOptions() throws {
        let parsed = try parser.parse(["--", "-weird.img"])
        XCTAssertEqual(parsed.positionals, ["-weird.img"])
    }

    func testStoredParametersMatchDracutsBuildParameterFormat() throws {
        let parsed = try parser.parse(["--no-kernel", "--no-hostonly", "-m", "base bash", "--force", "--logfile", "/tmp/l", "-i", "a", "b"])
        XCTAssertEqual(parsed.storedParameters, " --no-kernel --no-hostonly -m 'base bash' --force --include 'a' 'b'")
    }

    func testEveryDracutOptionIsRecognised() throws {
        // The long options of dracut 059's getopt call.
        let dracutOptions = """
            kver add force-add add-drivers force-drivers omit-drivers modules omit drivers filesystems install
            install-optional fwdir libdirs fscks add-fstab mount device add-device nofscks ro-mnt kmoddir conf confdir
            tmpdir sysroot stdlog compress squash-compressor prefix rebuild force kernel-only no-kernel print-cmdline
            kernel-cmdline strip aggressive-strip nostrip hardlink nohardlink noprefix mdadmconf nomdadmconf lvmconf
            nolvmconf debug profile sshkey logfile verbose quiet local hostonly host-only no-hostonly no-host-only
            hostonly-mode hostonly-cmdline no-hostonly-cmdline no-hostonly-default-device persistent-policy fstab help
            bzip2 lzma xz lzo lz4 zstd no-compress gzip enhanced-cpio list-modules show-modules keep printsize
            regenerate-all parallel noimageifnotneeded early-microcode no-early-microcode reproducible no-reproducible
            loginstall uefi no-uefi uefi-stub uefi-splash-image kernel-image no-hostonly-i18n hostonly-i18n
            hostonly-nics no-machineid version include
            """.split(whereSeparator: \.isWhitespace)
        for name in dracutOptions {
            XCTAssertNotNil(OptionTable.named(String(name)), "--\(name)")
        }
        for short in "amodIkcrLfvqlHhMNpi" {
            XCTAssertTrue(OptionTable.all.contains { $0.shortName == short }, "-\(short)")
        }
    }

    func testVersionSortOrdersDropInsLikeSortV() {
        let names = ["10-b.conf", "9-a.conf", "01-x.conf", "a.conf", "10-a.conf", "100.conf"]
        XCTAssertEqual(
            names.sorted(by: ConfigurationLoader.versionOrder),
            ["01-x.conf", "9-a.conf", "10-a.conf", "10-b.conf", "100.conf", "a.conf"])
    }
}
