#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest
@testable import Configuration
import Support

final class ConfigurationLoaderTests: XCTestCase {
    var root: String!

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "kindling-config-\(UUID().uuidString)"
        for directory in ["/etc/dracut.conf.d", "/usr/lib/dracut/dracut.conf.d", "/extra"] {
            try FileManager.default.createDirectory(atPath: root + directory, withIntermediateDirectories: true)
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func write(_ text: String, _ path: String) throws {
        try text.write(toFile: root + path, atomically: true, encoding: .utf8)
    }

    func load(_ arguments: [String], environment: [String: String] = [:]) throws -> BuildConfiguration {
        try ConfigurationLoader(environment: environment, ownModules: "/own/modules.d", kernelRelease: { "6.1.0-test" })
            .load(arguments: ["--sysroot", root] + arguments, logger: Logger(level: .fatal))
    }

    func testFilesAreSourcedInDracutsOrderWithEtcShadowingUsrLib() throws {
        try write("order+=' main'\nadd_dracutmodules+=' alpha '\n", "/etc/dracut.conf")
        try write("order+=' etc-10'\n", "/etc/dracut.conf.d/10-a.conf")
        try write("order+=' usr-10-shadowed'\n", "/usr/lib/dracut/dracut.conf.d/10-a.conf")
        try write("order+=' usr-05'\n", "/usr/lib/dracut/dracut.conf.d/05-b.conf")
        try write("order+=' usr-20'\n", "/usr/lib/dracut/dracut.conf.d/20-c.conf")
        try write("order+=' not-conf'\n", "/etc/dracut.conf.d/30-d.txt")
        let configuration = try load([])
        XCTAssertEqual(configuration.variables["order"], " main usr-05 etc-10 usr-20")
        XCTAssertEqual(
            configuration.configFiles.map { $0.replacingOccurrences(of: root, with: "") },
            [
                "/etc/dracut.conf", "/usr/lib/dracut/dracut.conf.d/05-b.conf", "/etc/dracut.conf.d/10-a.conf",
                "/usr/lib/dracut/dracut.conf.d/20-c.conf",
            ])
    }

    /// A drop-in whose name is not UTF-8 is read as dracut reads it (FileManager's name for it
    /// named no file: bash warned "No such file" and its settings were lost), and its values keep
    /// their bytes.
    func testADropInWhoseNameIsNotUTF8IsRead() throws {
        let name = Array((root + "/etc/dracut.conf.d/20-caf").utf8) + [0xE9] + Array(".conf".utf8)
        let text = Array("install_items+=\" /etc/caf".utf8) + [0xE9] + Array(" \"\n".utf8)
        let fd = open(PathBytes.string(name), O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertEqual(text.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }, text.count)
        close(fd)
        try write("install_items+=' /etc/first '\n", "/etc/dracut.conf.d/10-first.conf")
        let configuration = try load([])
        XCTAssertEqual(configuration.configFiles.map(PathBytes.bytes).last, name)
        XCTAssertEqual(
            configuration.variables.words("install_items").map(PathBytes.bytes),
            [Array("/etc/first".utf8), Array("/etc/caf".utf8) + [0xE9]])
    }

    /// A dracut.conf saved with CRLF line ends gives values ending in CR (bash keeps it, as for
    /// dracut); an error quoting such a value shows the CR as \r, never raw.
    func testErrorsShowAControlCharacterInAValueVisibly() throws {
        try write("hostonly_mode=\"strict\"\r\n", "/etc/dracut.conf")
        XCTAssertThrowsError(try load(["--hostonly"])) { error in
            XCTAssertEqual("\(error)", "invalid hostonly mode $'strict\\r'")
        }
        try write("module_timeout=\"5\"\r\n", "/etc/dracut.conf")
        XCTAssertThrowsError(try load([])) { error in
            XCTAssertEqual("\(error)", "invalid module timeout $'5\\r': give a number of seconds (0: no limit)")
        }
    }

    func testCommandLineAppendsListsAndReplacesScalarsAfterTheConfig() throws {
        try write(
            "add_dracutmodules+=' alpha '\ndracutmodules='from-config'\nomit_dracutmodules+=' gamma '\ncompress=xz\n",
            "/etc/dracut.conf")
        let configuration = try load(["-a", "beta", "-m", "one two", "-m", "three", "--gzip", "-o", "delta"])
        XCTAssertEqual(configuration.variables.words("add_dracutmodules"), ["alpha", "beta"])
        XCTAssertEqual(configuration.variables.words("dracutmodules"), ["one", "two", "three"])
        XCTAssertEqual(configuration.variables.words("omit_dracutmodules"), ["gamma", "delta"])
        XCTAssertEqual(configuration.variables["compress"], "gzip")
    }

    func testEarlyOptionsLoseToTheConfigAsInDracut() throws {
        try write("no_kernel=no\n", "/etc/dracut.conf")
        XCTAssertEqual(try load(["--no-kernel"]).settings?.noKernel, false)
    }

    func testConfAndConfdirAndAddConfdir() throws {
        try write("dracutmodules='explicit'\n", "/extra/my.conf")
        try write("drop='in'\n", "/extra/x.conf")
        let configuration = try load(["--conf", root + "/extra/my.conf", "--add-confdir", root + "/extra"])
        XCTAssertEqual(configuration.variables["dracutmodules"], "explicit")
        XCTAssertEqual(configuration.variables["drop"], "in")
        XCTAssertThrowsError(try load(["--conf", root + "/missing.conf"])) { error in
            XCTAssertEqual("\(error)", "configuration file '\(self.root!)/missing.conf' not found")
        }
        XCTAssertThrowsError(try load(["--confdir", root + "/nowhere"]))
    }

    func testArraysAndAssociativeArraysAreReadBack() throws {
        try write("install_items=(/bin/a '/b c')\ndeclare -A table=([k]=v)\n", "/etc/dracut.conf")
        let configuration = try load([])
        XCTAssertEqual(configuration.variables.values["install_items"], .array(["/bin/a", "/b c"]))
        XCTAssertEqual(configuration.variables.values["table"], .associative(["k": "v"]))
    }

    func testDefaultsFollowDracut() throws {
        let configuration = try load(["--no-kernel"])
        XCTAssertEqual(configuration.settings?.kernelVersion, "6.1.0-test")
        XCTAssertEqual(configuration.settings?.outputPath, root + "/boot/initrd.img-6.1.0-test")
        XCTAssertEqual(configuration.variables["dracutmodules"], "all")
        XCTAssertNil(configuration.variables["hostonly"])
        XCTAssertEqual(configuration.settings?.moduleSearchPath, ["/own/modules.d"])
        let explicit = try load(["out.img", "5.10"])
        XCTAssertEqual(explicit.settings?.outputPath, "out.img")
        XCTAssertEqual(explicit.settings?.kernelVersion, "5.10")
    }

    func testModulePathOrder() throws {
        try write("modules_dirs+=' /from/config '\n", "/etc/dracut.conf")
        let configuration = try load(
            ["--modules-dir", "/first", "--modules-dir", "/second"],
            environment: ["dracutbasedir": "/base"])
        XCTAssertEqual(configuration.settings?.moduleSearchPath, ["/first", "/second", "/from/config", "/base/modules.d", "/own/modules.d"])
    }

    func testUEFISettingsFromOptionsAndFiles() throws {
        XCTAssertNil(try load(["out.img"]).settings?.uefi)
        try write("uefi=yes\nuefi_secureboot_key=/k.key\nuefi_secureboot_cert=/c.crt\nsbat='a,1'\n", "/etc/dracut.conf")
        let uefi = try XCTUnwrap(try load(["--kernel-image", "/vmlinuz", "out.efi", "6.1.0"]).settings?.uefi)
        XCTAssertEqual(uefi.kernelImage, "/vmlinuz")
        XCTAssertEqual(uefi.signing, SecureBootSigning(certificate: "/c.crt", key: "/k.key", engine: nil))
        XCTAssertEqual(uefi.sbat, "a,1")
        XCTAssertTrue(uefi.stub.hasSuffix("/boot/efi/linuxx64.efi.stub"), uefi.stub)
        XCTAssertFalse(uefi.stubIsGiven)
        XCTAssertNil(try load(["--no-uefi", "out.img"]).settings?.uefi, "--no-uefi wins over the file")
        let arm = try load(["--uefi-stub", "/s.efi", "out.efi"], environment: ["DRACUT_ARCH": "aarch64"]).settings?.uefi
        XCTAssertEqual(arm?.stub, "/s.efi")
        XCTAssertThrowsError(try load(["out.efi"], environment: ["DRACUT_ARCH": "riscv64"])) {
            XCTAssertEqual("\($0)", "--uefi: architecture 'riscv64' has no UEFI stub")
        }
    }

    func testHalfAKeyPairIsRefused() throws {
        try write("uefi_secureboot_cert=/c.crt\n", "/etc/dracut.conf")
        XCTAssertThrowsError(try load(["--uefi", "out.efi"])) {
            XCTAssertEqual(
                "\($0)", "uefi_secureboot_key and uefi_secureboot_cert: give both or neither (only uefi_secureboot_cert is set)")
        }
        XCTAssertNoThrow(try load(["out.img"]), "without --uefi the keys are not read")
    }

    func testUnsupportedOptionFailsNamingIt() {
        XCTAssertThrowsError(try load(["--profile"])) { XCTAssertEqual("\($0)", "option --profile is not supported yet") }
    }

    func testMountLinesStayWholeAndHostonlyFindsTheHostsDevicesUnlessTold() throws {
        let configuration = try load([
            "-H", "--no-hostonly-default-device", "--hostonly-mode", "strict",
            "--mount", "/dev/vda /kdumproot ext4 defaults", "--mount", "LABEL=x /b vfat",
        ])
        XCTAssertEqual(configuration.variables.elements("fstab_lines"), ["/dev/vda /kdumproot ext4 defaults", "LABEL=x /b vfat"])
        XCTAssertEqual(configuration.variables["hostonly"], "-h")
        XCTAssertEqual(configuration.variables["hostonly_mode"], "strict")
        XCTAssertEqual(configuration.variables["hostonly_cmdline"], "yes")
        XCTAssertEqual(configuration.variables["hostonly_default_device"], "no")
        let detecting = try load(["-H"])
        XCTAssertEqual(detecting.variables["hostonly"], "-h")
        XCTAssertNotEqual(detecting.variables["hostonly_default_device"], "no")
    }

    func testNoCompressWinsOverEverything() throws {
        try write("compress=xz\n", "/etc/dracut.conf")
        XCTAssertEqual(try load(["--no-compress", "--gzip"]).variables["compress"], "cat")
        XCTAssertEqual(try load([], environment: ["INITRD_COMPRESS": "zstd"]).variables["compress"], "zstd")
    }

    /// --explain writes text, unless its file is named .svg; --explain-svg always draws. Both may
    /// be given, and neither is stored in the image's build-parameter.txt.
    func testExplainWritesTextOrAPictureByTheFilesName() throws {
        let text = try load(["--explain", "report.txt"])
        XCTAssertEqual(text.explainPath, "report.txt")
        XCTAssertNil(text.explainSVGPath)
        let picture = try load(["--explain", "map.SVG"])
        XCTAssertNil(picture.explainPath)
        XCTAssertEqual(picture.explainSVGPath, "map.SVG")
        let both = try load(["--explain", "report.txt", "--explain-svg=map.image"])
        XCTAssertEqual(both.explainPath, "report.txt")
        XCTAssertEqual(both.explainSVGPath, "map.image")
        XCTAssertTrue(both.explains)
        XCTAssertFalse(try load([]).explains)
        XCTAssertFalse(both.storedParameters.contains("explain"), both.storedParameters)
    }

    func testModuleTimeoutFromTheCommandLineOrTheConfig() throws {
        XCTAssertEqual(try load([]).settings?.moduleTimeout, 600, "ten minutes by default")
        XCTAssertEqual(try load(["--module-timeout", "2"]).settings?.moduleTimeout, 2)
        XCTAssertNil(try load(["--module-timeout", "0"]).settings?.moduleTimeout, "0 is no limit")
        try write("module_timeout=30\n", "/etc/dracut.conf")
        XCTAssertEqual(try load([]).settings?.moduleTimeout, 30)
        XCTAssertThrowsError(try load(["--module-timeout", "soon"])) { error in
            XCTAssertEqual("\(error)", "invalid module timeout 'soon': give a number of seconds (0: no limit)")
        }
        XCTAssertThrowsError(try load(["--module-timeout", "-1"]))
    }

    func testKdumpImageIsMinimalUnlessAConfigOrTheCommandLineSaysDistro() throws {
        XCTAssertEqual(try load([]).settings?.kdumpImage, .minimal)
        XCTAssertEqual(try load([]).settings?.ownModules, "/own/modules.d")
        try write("kdump_image=distro\n", "/etc/dracut.conf.d/50-kdump.conf")
        XCTAssertEqual(try load([]).settings?.kdumpImage, .distro)
        XCTAssertEqual(try load(["--kdump-image", "minimal"]).settings?.kdumpImage, .minimal)
        XCTAssertThrowsError(try load(["--kdump-image", "small"])) { error in
            XCTAssertEqual("\(error)", "invalid kdump_image 'small': give minimal or distro")
        }
    }

    func testSquashCompressorFromTheCommandLineOrTheConfig() throws {
        XCTAssertNil(try load([]).settings?.image.squashCompressor, "unset: mksquashfs's default")
        XCTAssertNil(try load(["--squash-compressor", " "]).settings?.image.squashCompressor, "blank: the default")
        let zstd = try XCTUnwrap(try load(["--squash-compressor", "zstd"]).settings?.image.squashCompressor)
        XCTAssertEqual(zstd.name, "zstd")
        XCTAssertEqual(zstd.options, [])
        XCTAssertEqual(zstd.arguments, ["-comp", "zstd"])

        try write("squash_compress=\"xz  -Xbcj x86\"\n", "/etc/dracut.conf")
        let configured = try XCTUnwrap(try load([]).settings?.image.squashCompressor)
        XCTAssertEqual(configured.arguments, ["-comp", "xz", "-Xbcj", "x86"], "its words, as dracut's unquoted use splits them")
        XCTAssertEqual(configured.setting, "xz  -Xbcj x86", "kept as given, for the warning that quotes it")
        XCTAssertEqual(
            try load(["--squash-compressor", "lz4"]).settings?.image.squashCompressor?.arguments, ["-comp", "lz4"],
            "the option wins over the config file")
    }

    // MARK: config files that end the reading early or leave a job behind

    func testABackgroundJobInAConfigFileDoesNotHoldTheReading() throws {
        try write("add_drivers+=' early '\n(sleep 30) &\n", "/etc/dracut.conf.d/10-job.conf")
        try write("add_drivers+=' later '\n", "/etc/dracut.conf.d/20-after.conf")
        let started = MonotonicClock.seconds
        let configuration = try load(["--confdir", root + "/etc/dracut.conf.d"])
        XCTAssertLessThan(MonotonicClock.seconds - started, 10, "the reading waited for the background job")
        XCTAssertEqual(configuration.variables["add_drivers"]?.split(separator: " "), ["early", "later"])
    }

    /// A job that writes without pause must not hide the end of the reader's bash.
    func testABackgroundJobThatNeverStopsWritingDoesNotHoldTheReading() throws {
        let pidFile = root + "/job.pid"
        try write("(while :; do echo chatter; done) >&2 &\necho $! >'\(pidFile)'\n", "/etc/dracut.conf.d/10-chatty.conf")
        defer {
            if let pid = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap({ pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            ) {
                kill(pid, SIGKILL)
            }
        }
        let done = DispatchSemaphore(value: 0)
        let arguments = ["--confdir", root + "/etc/dracut.conf.d"]
        let loader = { [self] in
            _ = try? load(arguments)
            done.signal()
        }
        _ = Support.Thread(loader)
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success, "the reading waited for the chatty job")
    }

    func testExitInAConfigFileIsAnErrorNamingTheFile() throws {
        let exiting = root + "/etc/dracut.conf.d/10-exits.conf"
        try write("add_drivers+=' early '\nexit 0\n", "/etc/dracut.conf.d/10-exits.conf")
        try write("add_drivers+=' later '\n", "/etc/dracut.conf.d/20-after.conf")
        XCTAssertThrowsError(try load(["--confdir", root + "/etc/dracut.conf.d"])) { error in
            XCTAssertEqual(
                "\(error)",
                "configuration file \(exiting) ended the reading of the configuration early "
                    + "(exit, exec or a fatal error; bash exited with status 0)")
        }
    }

    func testReturnInAConfigFileEndsThatFileOnlyAsInDracut() throws {
        try write("add_drivers+=' early '\nreturn\nadd_drivers+=' skipped '\n", "/etc/dracut.conf.d/10-returns.conf")
        try write("add_drivers+=' later '\n", "/etc/dracut.conf.d/20-after.conf")
        let configuration = try load(["--confdir", root + "/etc/dracut.conf.d"])
        XCTAssertEqual(configuration.variables["add_drivers"]?.split(separator: " "), ["early", "later"])
    }
}
