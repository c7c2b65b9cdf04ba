import Foundation
import XCTest
@testable import Configuration
import Support

/// dracut-ng's command line and configuration: its options, DRACUT_EXTRA_ARGS, --add-confdir's
/// lookup, /run/initramfs/dracut.conf.d, and the variables Kindling refuses naming their file.
final class DracutNGOptionsTests: XCTestCase {
    var root: String!

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "kindling-ng-config-\(UUID().uuidString)"
        for directory in [
            "/etc/dracut.conf.d", "/usr/lib/dracut/dracut.conf.d/rescue", "/extra", "/run-confdir", "/ng/dracut.conf.d", "/boot",
        ] {
            try FileManager.default.createDirectory(atPath: root + directory, withIntermediateDirectories: true)
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func write(_ text: String, _ path: String) throws {
        try text.write(toFile: root + path, atomically: true, encoding: .utf8)
    }

    func load(_ arguments: [String], environment: [String: String] = [:]) throws -> BuildConfiguration {
        var loader = ConfigurationLoader(
            environment: environment, ownModules: "/own/modules.d", kernelRelease: { "6.1.0-test" })
        loader.runtimeConfigDirectory = root + "/run-confdir"
        return try loader.load(arguments: ["--sysroot", root] + arguments, logger: Logger(level: .fatal))
    }

    func error(_ arguments: [String], environment: [String: String] = [:]) -> String? {
        do {
            _ = try load(arguments, environment: environment)
            return nil
        } catch {
            return "\(error)"
        }
    }

    // MARK: the options

    func testRemoveAddsToRemoveItemsAndIsStored() throws {
        try write("remove_items+=\" /etc/a \"\n", "/etc/dracut.conf.d/10.conf")
        let configuration = try load(["--remove", "/usr/b /c", "--remove", "d"])
        XCTAssertEqual(configuration.settings?.contents.removedPaths, ["/etc/a", "/usr/b", "/c", "d"])
        XCTAssertTrue(configuration.storedParameters.contains("--remove '/usr/b /c' --remove 'd'"))
    }

    func testCompressLevelSetsEveryCompressorsLevelAndTheConfigCanSetOne() throws {
        let all = try load(["--compress-level", "3"]).settings?.image.compressionLevels
        XCTAssertEqual(all, Dictionary(uniqueKeysWithValues: CompressionLevels.compressors.map { ($0, 3) }))
        try write("compress_level_zstd=19\n", "/etc/dracut.conf.d/10.conf")
        XCTAssertEqual(try load([]).settings?.image.compressionLevels, ["zstd": 19])
        // The command line wins over the file, as in dracut-ng.
        XCTAssertEqual(try load(["--compress-level", "1"]).settings?.image.compressionLevels["zstd"], 1)
    }

    func testABadCompressionLevelIsRefusedNamingItsSource() throws {
        XCTAssertEqual(
            error(["--compress-level", "fast"]),
            "invalid compression level 'fast' in compress_level_bzip2 (from --compress-level): give a number such as 1, 9 or 19")
        try write("compress_level_xz=-1\n", "/etc/dracut.conf.d/20-xz.conf")
        XCTAssertEqual(
            error([]),
            "invalid compression level '-1' in compress_level_xz (from '\(root!)/etc/dracut.conf.d/20-xz.conf'): "
                + "give a number such as 1, 9 or 19")
    }

    func testPrintconfigIsAnActionAndIsNotStored() throws {
        let configuration = try load(["--printconfig", "-m", "base"])
        XCTAssertEqual(configuration.action, .printConfiguration)
        XCTAssertFalse(configuration.storedParameters.contains("printconfig"))
        XCTAssertNotNil(configuration.settings)
    }

    func testNBFTModeDefaultsToMatchAndRefusesOtherValues() throws {
        XCTAssertEqual(try load([]).variables["nvmf_nbft_mode"], "match")
        XCTAssertEqual(try load(["--nvmf-nbft-mode", "static"]).variables["nvmf_nbft_mode"], "static")
        try write("nvmf_nbft_mode=nbft\n", "/etc/dracut.conf.d/10.conf")
        XCTAssertEqual(try load([]).variables["nvmf_nbft_mode"], "nbft")
        XCTAssertEqual(
            error(["--nvmf-nbft-mode", "auto"]),
            "invalid nvmf_nbft_mode 'auto' (from --nvmf-nbft-mode): give nbft, match or static")
    }

    // MARK: DRACUT_EXTRA_ARGS

    func testExtraArgumentsComeBeforeTheCommandLineAndAreStored() throws {
        let environment = ["DRACUT_EXTRA_ARGS": "-o 'x y' --kernel-cmdline \"a=1 b\" --prefix /early"]
        let configuration = try load(["--prefix", "/late"], environment: environment)
        XCTAssertEqual(configuration.settings?.modules.omit, ["x", "y"])
        XCTAssertEqual(configuration.variables["kernel_cmdline"]?.trimmingCharacters(in: .whitespaces), "a=1 b")
        XCTAssertEqual(configuration.settings?.paths.prefix, "/late", "the command line wins")
        XCTAssertTrue(configuration.storedParameters.hasPrefix(" --sysroot") == false)
        XCTAssertTrue(configuration.storedParameters.hasPrefix(" -o 'x y' --kernel-cmdline 'a=1 b'"))
    }

    func testExtraArgumentsThatAreNotOptionsOrAreMalformedAreRefused() {
        XCTAssertEqual(
            error([], environment: ["DRACUT_EXTRA_ARGS": "--hostonly /boot/image"]),
            "DRACUT_EXTRA_ARGS: '/boot/image' is not an option")
        XCTAssertEqual(
            error([], environment: ["DRACUT_EXTRA_ARGS": "--nosuch"]),
            "DRACUT_EXTRA_ARGS: unrecognized option '--nosuch'")
        XCTAssertEqual(
            error([], environment: ["DRACUT_EXTRA_ARGS": "-o 'x"]),
            "DRACUT_EXTRA_ARGS has an unterminated quote")
        XCTAssertNil(error([], environment: ["DRACUT_EXTRA_ARGS": ""]))
    }

    // MARK: configuration directories

    func testAddConfdirLooksABareNameUpAsDracutNGDoes() throws {
        try write("from_rescue=yes\n", "/usr/lib/dracut/dracut.conf.d/rescue/50-rescue.conf")
        let configuration = try load(["--add-confdir", "rescue"])
        XCTAssertEqual(configuration.variables["from_rescue"], "yes")
        // Under the drop-in directory first.
        try FileManager.default.createDirectory(
            atPath: root + "/etc/dracut.conf.d/rescue", withIntermediateDirectories: true)
        try write("from_etc=yes\n", "/etc/dracut.conf.d/rescue/40-etc.conf")
        let both = try load(["--add-confdir", "rescue"])
        XCTAssertEqual(both.variables["from_etc"], "yes")
        XCTAssertNil(both.variables["from_rescue"], "only the first directory found is read")
        XCTAssertEqual(
            error(["--add-confdir", "nosuch"]), "--add-confdir: configuration directory 'nosuch' not found")
    }

    func testTheRuntimeDropInDirectoryIsReadLastForDracutNGOnly() throws {
        try write("where=etc\n", "/etc/dracut.conf.d/90-x.conf")
        try write("where=run\nrun_only=yes\n", "/run-confdir/95-y.conf")
        XCTAssertNil(try load([]).variables["run_only"], "dracut 059 does not read it")
        try write("DRACUT_VERSION=112\n", "/ng/dracut.sh")
        let configuration = try load([], environment: ["dracutbasedir": root + "/ng"])
        XCTAssertEqual(configuration.variables["where"], "run")
        XCTAssertEqual(configuration.configFiles.last, root + "/run-confdir/95-y.conf")
    }

    /// dracut-ng stores fewer options than 059 (none of those it reads before storing starts) and
    /// no leading space.
    func testDracutNGStoresTheOptionsAsItDoes() throws {
        try write("DRACUT_VERSION=\"112\"\n", "/ng/dracut.sh")
        let arguments = ["-f", "--tmpdir", "/tmp", "-v", "-m", "base", "--stdlog", "3", "--remove", "x"]
        let ng = try load(arguments, environment: ["dracutbasedir": root + "/ng"])
        XCTAssertEqual(ng.storedParameters, "--sysroot '\(root!)' -m 'base' --remove 'x'")
        let old = try load(arguments)
        XCTAssertEqual(
            old.storedParameters,
            " --sysroot '\(root!)' -f --tmpdir '/tmp' -v -m 'base' --stdlog '3' --remove 'x'")
    }

    func testASourceTreesDracutShGivesItsRelease() throws {
        try write("#!/bin/bash\nDRACUT_VERSION=\"112\"\n", "/ng/dracut.sh")
        XCTAssertEqual(DracutRelease.installed(in: root + "/ng"), DracutRelease(version: "112"))
        try write("DRACUT_VERSION=106\n", "/ng/dracut-version.sh")
        XCTAssertEqual(DracutRelease.installed(in: root + "/ng").version, "106", "dracut-version.sh comes first")
    }

    // MARK: variables Kindling refuses

    func testAVariableKindlingCannotActOnIsRefusedNamingItsFile() throws {
        let cases = [
            ("add_dlopen_features+=\" libsystemd-shared-*.so:fido2 \"", "add_dlopen_features"),
            ("omit_dlopen_features+=\" x:y \"", "omit_dlopen_features"),
        ]
        for (line, name) in cases {
            try write(line + "\n", "/etc/dracut.conf.d/30-refused.conf")
            try write("unrelated=1\n", "/etc/dracut.conf.d/40-later.conf")
            let message = error([]) ?? ""
            XCTAssertTrue(
                message.hasPrefix("\(name) is set in '\(root!)/etc/dracut.conf.d/30-refused.conf': "),
                "\(line): \(message)")
        }
    }

    /// Debian's dracut-ng names its images with initrdname="initrd.img-${kernel}": the files see
    /// the kernel's version, and the default image is named so.
    func testInitrdnameNamesTheDefaultImageAndTheFilesSeeTheKernel() throws {
        try write("", "/boot/vmlinuz-6.1.0-test")
        try write("DRACUT_VERSION=112\n", "/ng/dracut.sh")
        let ng = ["dracutbasedir": root + "/ng"]
        XCTAssertEqual(try load([], environment: ng).settings?.outputPath, root + "/boot/initramfs-6.1.0-test.img")
        XCTAssertEqual(try load([]).settings?.outputPath, root + "/boot/initrd.img-6.1.0-test", "Debian's 059")
        try write("initrdname=\"initrd.img-${kernel}\"\n", "/etc/dracut.conf.d/01-debian.conf")
        XCTAssertEqual(try load([], environment: ng).settings?.outputPath, root + "/boot/initrd.img-6.1.0-test")
        XCTAssertEqual(
            try load(["--kver", "6.2.0-other"], environment: ng).settings?.outputPath, root + "/boot/initrd.img-6.2.0-other")
        try write("initrdname=my-${kernel}.img\n", "/etc/dracut.conf.d/01-debian.conf")
        XCTAssertEqual(try load(["--kver", "6.1.0-test"]).settings?.outputPath, root + "/boot/my-6.1.0-test.img")
    }

    func testACPIOverrideNamesTheTableDirectory() throws {
        try write("acpi_table_dir=/tables\n", "/etc/dracut.conf.d/30.conf")
        XCTAssertNil(try load([]).settings?.image.acpiTableDirectory, "without acpi_override=yes")
        try write("acpi_override=yes\nacpi_table_dir=/tables\n", "/etc/dracut.conf.d/30.conf")
        XCTAssertEqual(try load([]).settings?.image.acpiTableDirectory, "/tables")
    }

    func testKmsgloglvlIsTheKernelLogsLevel() throws {
        XCTAssertNil(try load([]).settings?.log.kernelLogLevel)
        try write("kmsgloglvl=4\n", "/etc/dracut.conf.d/30.conf")
        XCTAssertEqual(try load([]).settings?.log.kernelLogLevel, .info)
        try write("kmsgloglvl=9\n", "/etc/dracut.conf.d/30.conf")
        XCTAssertEqual(try load([]).settings?.log.kernelLogLevel, .trace)
    }

    func testWhatAsksForNothingIsNotRefused() throws {
        try write("acpi_override=no\nkmsgloglvl=0\nadd_dlopen_features+=\" \"\n", "/etc/dracut.conf.d/30.conf")
        XCTAssertNil(error([]))
    }

    func testRealInitPathNeedsDracut059sBaseModule() throws {
        try write("realinitpath=/sbin/init.real\n", "/etc/dracut.conf.d/30-init.conf")
        XCTAssertEqual(
            error([]),
            "realinitpath is set in '\(root!)/etc/dracut.conf.d/30-init.conf': only dracut 059's base module reads "
                + "it, and the module path takes Kindling's (add --modules-dir /usr/lib/dracut/modules.d)")
        try FileManager.default.createDirectory(atPath: root + "/mods/99base", withIntermediateDirectories: true)
        XCTAssertNil(error(["--modules-dir", root + "/mods"]))
        try write("DRACUT_VERSION=112\n", "/ng/dracut.sh")
        XCTAssertEqual(
            error(["--modules-dir", root + "/mods"], environment: ["dracutbasedir": root + "/ng"]),
            "realinitpath is set in '\(root!)/etc/dracut.conf.d/30-init.conf': dracut-ng 112 removed it")
    }

    func testTheReaderNamesTheLastFileThatChangedAWatchedVariable() throws {
        try write("a.conf", "/extra/placeholder")
        let first = root + "/first.conf", second = root + "/second.conf", third = root + "/third.conf"
        try "initrdname=one\n".write(toFile: first, atomically: true, encoding: .utf8)
        try "initrdname=two\n".write(toFile: second, atomically: true, encoding: .utf8)
        try "other=1\n".write(toFile: third, atomically: true, encoding: .utf8)
        let (variables, origins) = try ConfigEvaluator().read(
            files: [first, second, third], presets: ShellVariables(), watching: ["initrdname", "unset_one"],
            logger: Logger(level: .fatal))
        XCTAssertEqual(variables["initrdname"], "two")
        XCTAssertEqual(origins, ["initrdname": second])
        XCTAssertNil(variables["__kindling_watch"])
        XCTAssertNil(variables["KINDLING_WATCH"])
    }
}
