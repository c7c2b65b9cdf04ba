import Support
import XCTest

@testable import Configuration
@testable import KindlingCore

#if canImport(Glibc)
import Glibc
#endif

/// A file system made of a table: paths not in it are missing; writable directories are listed.
private struct TableProbe: PreflightProbe {
    var kinds: [String: PathKind] = [:]
    var writeErrors: [String: Int32] = [:]
    var tools: Set<String> = []

    func kind(of path: String) -> PathKind { kinds[path] ?? .missing(errno: ENOENT) }
    func writeError(directory: String) -> Int32 { writeErrors[directory] ?? 0 }
    func findExecutable(_ name: String) -> String? { tools.contains(name) ? "/usr/bin/" + name : nil }
}

final class BuildPreflightTests: XCTestCase {
    private var probe = TableProbe(kinds: ["/boot": .directory, "/var/tmp": .directory])

    private func preflight(
        _ settings: [String: String] = [:], output: String = "/boot/initrd.img",
        action: RequestedAction = .build, explain: String? = nil, explainSVG: String? = nil
    ) -> BuildPreflight {
        var configuration = BuildConfiguration()
        configuration.action = action
        configuration.explainPath = explain
        configuration.explainSVGPath = explainSVG
        var variables = ShellVariables(["no_kernel": .scalar("yes"), "tmpdir": .scalar("/var/tmp")])
        for (name, value) in settings { variables[name] = value }
        let buildSettings = try! BuildSettings(
            normalized: variables, kernelVersion: "", outputPath: output, sysroot: "", moduleSearchPath: [],
            logLevel: .fatal)
        var preflight = BuildPreflight(
            settings: buildSettings, configuration: configuration, probes: .live(), logger: Logger(level: .fatal))
        preflight.probe = probe
        return preflight
    }

    private func failure(_ preflight: BuildPreflight) -> PreflightError? {
        do {
            _ = try preflight.run()
            return nil
        } catch {
            return error
        }
    }

    func testAGoodBuildPassesAndResolvesItsCompressorAndDirectories() throws {
        probe.tools = ["zstd"]
        let checked = try preflight(["compress": "zstd"]).run()
        XCTAssertEqual(checked.outputDirectory, "/boot")
        XCTAssertEqual(checked.compressor?.method, .command(executable: "/usr/bin/zstd", arguments: ["-15", "-q", "-T0"]))
    }

    func testAnOutputThatIsADirectoryOrADeviceIsRefused() {
        probe.kinds["/boot/initrd.img"] = .directory
        XCTAssertEqual(failure(preflight()), .outputNotAFile(path: "/boot/initrd.img", kind: "a directory"))
        XCTAssertEqual(
            failure(preflight()).map(String.init(describing:)),
            "cannot write the image to '/boot/initrd.img': it is a directory, not a file")
        probe.kinds["/dev/null"] = .other("a character device")
        XCTAssertEqual(failure(preflight(output: "/dev/null")), .outputNotAFile(path: "/dev/null", kind: "a character device"))
        probe.kinds["/boot/initrd.img"] = .regularFile
        XCTAssertNil(failure(preflight()), "an existing image is replaced (--force is checked under the lock)")
    }

    func testAnOutputDirectoryThatIsMissingOrCannotBeWrittenIsRefused() {
        XCTAssertEqual(failure(preflight(output: "/nonexistent/initrd.img")), .outputDirectoryMissing("/nonexistent"))
        probe.kinds["/boot/file"] = .regularFile
        XCTAssertEqual(failure(preflight(output: "/boot/file/initrd.img")), .outputDirectoryMissing("/boot/file"))
        probe.writeErrors["/boot"] = EROFS
        XCTAssertEqual(failure(preflight()), .outputDirectoryNotWritable("/boot", errno: EROFS))
        XCTAssertEqual(
            failure(preflight()).map(String.init(describing:)),
            "No permission to write to /boot: Read-only file system.")
    }

    func testABareNameIsWrittenInTheCurrentDirectory() {
        XCTAssertEqual(BuildPreflight.directory(of: "initrd.img"), ".")
        XCTAssertEqual(BuildPreflight.directory(of: "/initrd.img"), "/")
        XCTAssertEqual(BuildPreflight.directory(of: "out/initrd.img"), "out")
        XCTAssertEqual(failure(preflight(output: "initrd.img")), .outputDirectoryMissing("."))
    }

    func testAMisspeltOrMissingCompressorIsRefused() {
        XCTAssertEqual(
            failure(preflight(["compress": "gzipp"])),
            .compressor(setting: "gzipp", reason: "'gzipp' is not installed; did you mean 'gzip'?"))
        XCTAssertEqual(
            failure(preflight(["compress": "zstd"])),
            .compressor(setting: "zstd", reason: "'zstd' is not installed"))
        XCTAssertEqual(
            failure(preflight(["compress": "xz -6 -T1"])).map(String.init(describing:)),
            "cannot compress the image with 'xz -6 -T1' (--compress or compress=): 'xz' is not installed")
        XCTAssertNil(failure(preflight(["compress": "gzip -9"])), "gzip runs in process: nothing to find")
        XCTAssertNil(failure(preflight(["compress": "cat"])))
    }

    func testATemporaryDirectoryThatIsMissingOrCannotBeWrittenIsRefused() {
        XCTAssertEqual(failure(preflight(["tmpdir": "/nonexistent"])), .temporaryDirectory("/nonexistent", errno: ENOENT))
        probe.kinds["/etc/passwd"] = .regularFile
        XCTAssertEqual(failure(preflight(["tmpdir": "/etc/passwd"])), .temporaryDirectory("/etc/passwd", errno: ENOTDIR))
        probe.writeErrors["/var/tmp"] = EACCES
        XCTAssertEqual(failure(preflight()).map(String.init(describing:)), "Invalid tmpdir '/var/tmp': Permission denied.")
    }

    func testAnExplainFileThatCannotBeWrittenIsRefused() {
        XCTAssertEqual(
            failure(preflight(explain: "/nonexistent/explain.txt")),
            .explainFile(.report, path: "/nonexistent/explain.txt", reason: "directory /nonexistent does not exist"))
        XCTAssertEqual(
            failure(preflight(explain: "/var/tmp")),
            .explainFile(.report, path: "/var/tmp", reason: "it is a directory, not a file"))
        XCTAssertNil(failure(preflight(explain: "/var/tmp/explain.txt")))
    }

    /// The map is checked as the report is, whether or not a report is asked for too, and the
    /// refusal names the option.
    func testAnExplainMapThatCannotBeWrittenIsRefused() {
        let refusal = failure(preflight(explain: "/var/tmp/explain.txt", explainSVG: "/nonexistent/map.svg"))
        XCTAssertEqual(refusal, .explainFile(.map, path: "/nonexistent/map.svg", reason: "directory /nonexistent does not exist"))
        XCTAssertEqual(
            refusal.map(String.init(describing:)),
            "cannot write the --explain-svg map to '/nonexistent/map.svg': directory /nonexistent does not exist")
        probe.kinds["/srv"] = .directory
        probe.writeErrors["/srv"] = EACCES
        XCTAssertEqual(failure(preflight(explainSVG: "/srv/map.svg")), .explainFile(.map, path: "/srv/map.svg", reason: "/srv: Permission denied"))
        XCTAssertNil(failure(preflight(action: .printCommandLine, explainSVG: "/nonexistent/map.svg")), "no image, no map")
    }

    func testAMissingKernelModuleDirectoryIsRefused() {
        let missing = "/nonexistent-kindling-test/lib/modules/9.9.9"
        XCTAssertEqual(
            failure(preflight(["no_kernel": "", "srcmods": missing])).map(String.init(describing:)),
            "cannot find module directory \(missing) (and --no-kernel was not given)")
        XCTAssertEqual(
            failure(preflight(["no_kernel": "", "drivers_dir": "/nonexistent"])).map(String.init(describing:)),
            "the kernel module directory /nonexistent does not match the kernel version  (set DRACUT_KMODDIR_OVERRIDE=1 to ignore this check)"
        )
    }

    func testPrintingTheCommandLineNeedsNoOutputNorCompressor() throws {
        let checked = try preflight(["compress": "gzipp"], output: "/nonexistent/initrd.img", action: .printCommandLine).run()
        XCTAssertNil(checked.outputDirectory)
        XCTAssertNil(checked.compressor)
    }

    func testTheOutputIsCheckedFirstThenTheCompressorThenTheTemporaryDirectory() {
        XCTAssertEqual(
            failure(preflight(["compress": "gzipp", "tmpdir": "/nonexistent"], output: "/nonexistent/i.img")),
            .outputDirectoryMissing("/nonexistent"))
        XCTAssertEqual(
            failure(preflight(["compress": "gzipp", "tmpdir": "/nonexistent"])),
            .compressor(setting: "gzipp", reason: "'gzipp' is not installed; did you mean 'gzip'?"))
    }

    /// The real probe on real files: a directory, a device, a FIFO.
    func testTheSystemProbeNamesWhatAPathIs() throws {
        let probe = SystemPreflightProbe()
        let directory = NSTemporaryDirectory() + "kindling-preflight-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        XCTAssertEqual(mkfifo(directory + "/fifo", 0o600), 0)
        XCTAssertEqual(probe.kind(of: directory), .directory)
        XCTAssertEqual(probe.kind(of: "/dev/null"), .other("a character device"))
        XCTAssertEqual(probe.kind(of: directory + "/fifo"), .other("a FIFO"))
        XCTAssertEqual(probe.kind(of: directory + "/missing"), .missing(errno: ENOENT))
        XCTAssertEqual(probe.writeError(directory: directory), 0)
    }
}
