import Archive
import Foundation
import Support
import XCTest

@testable import Configuration
@testable import KindlingCore

/// Whole builds, from a command line to an image file in a temporary directory, on a host that
/// the test describes: its environment, its processor, what is mounted and its kernel modules.
/// They use dracut 059's stock modules and Kindling's own, as a user's build does (`make deps`
/// installs dracut-core, busybox and makedumpfile).
private struct MissingInput: Error, CustomStringConvertible {
    let description: String
}

final class WholeImageBuildTests: XCTestCase {
    private var root = ""
    private let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    private let stockModules = "/usr/lib/dracut/modules.d"

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "kindling-whole-build-\(UUID().uuidString)"
        for directory in ["confdir", "tmp", "modules.d/50probe", "sys"] {
            try FileManager.default.createDirectory(atPath: root + "/" + directory, withIntermediateDirectories: true)
        }
        XCTAssertTrue(FileManager.default.createFile(atPath: root + "/dracut.conf", contents: Data()))
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// A host whose every directory is mounted and which shows nothing of the real one but its tools.
    private func host(_ environment: [String: String] = [:], unmounted: String? = nil) -> HostProbes {
        HostProbes(
            environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "dracutbasedir": "/usr/lib/dracut"]
                .merging(environment) { $1 },
            processorInformation: { nil }, unmountedHostDirectory: { _ in unmounted }, sysfsRoot: root + "/sys",
            kernelModules: ["injected_driver"], leftoverCutoff: 0)
    }

    /// Builds `image` with `arguments` and returns each member's path with its data.
    @discardableResult
    private func build(_ arguments: [String], on probes: HostProbes, ownModules: String? = nil) throws -> [String: [UInt8]] {
        guard FileManager.default.fileExists(atPath: stockModules + "/99base") else {
            throw MissingInput(description: "needs dracut 059's modules in \(stockModules): run `make deps`")
        }
        let image = root + "/initrd.img"
        let data = DataDirectory(shim: checkout + "/shim/kindling-shim.bash", modules: ownModules ?? checkout + "/modules.d")
        let logger = Logger(level: .fatal)
        let configuration = try ConfigurationLoader(
            environment: probes.environment, ownModules: data.modules, kernelRelease: { "0.0.0-test" }
        ).load(
            arguments: [
                "--conf", root + "/dracut.conf", "--confdir", root + "/confdir", "--tmpdir", root + "/tmp",
                "--no-kernel", "--force",
            ] + arguments + [image],
            logger: logger)
        let settings = try XCTUnwrap(configuration.settings)
        try ImageBuild(configuration: configuration, settings: settings, data: data, probes: probes, logger: logger).run()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root + "/tmp"), [], "the staging directory is removed")
        return try members(of: image)
    }

    private func members(of image: String) throws -> [String: [UInt8]] {
        let reader = try ImageReader(path: image)
        var members: [String: [UInt8]] = [:]
        while let archive = try reader.nextArchive() {
            while let member = try archive.reader.nextMember() {
                members[member.path.description] = try archive.reader.readData()
            }
        }
        return members
    }

    /// A file's text; lib/ may be a link to usr/lib, as on the merged-/usr host.
    private func text(_ members: [String: [UInt8]], _ path: String) -> String? {
        (members[path] ?? members["usr/" + path]).map { String(decoding: $0, as: UTF8.self) }
    }

    /// A module of the test's own: its check passes only on a hostonly build that sees the
    /// injected device, and its install records what it saw.
    private func writeProbeModule() throws {
        let setup = """
            #!/bin/bash
            check() { [[ ! ${hostonly-} ]] || [[ " ${host_devs[*]} " == *" /dev/injected-disk "* ]]; }
            depends() { return 0; }
            install() {
                mkdir -p "$initdir/etc"
                printf 'hostonly=%s devices=%s\\n' "${hostonly-}" "${host_devs[*]}" > "$initdir/etc/probe"
                [[ ${DRACUT_KERNEL_MODALIASES-} ]] && cat "$DRACUT_KERNEL_MODALIASES" > "$initdir/etc/modaliases"
                return 0
            }
            """
        try setup.write(toFile: root + "/modules.d/50probe/module-setup.sh", atomically: true, encoding: .utf8)
    }

    func testBaseAndBashGiveAnImageWithInitBashAndItsLibraries() throws {
        let members = try build(["-m", "base bash"], on: host())
        XCTAssertEqual(text(members, "lib/dracut/modules.txt"), "bash\nudev-rules\nbase\n", "base needs udev-rules")
        XCTAssertNotNil(members["init"], "base's /init")
        XCTAssertTrue(members.keys.contains { $0.hasSuffix("bin/bash") }, "bash itself")
        XCTAssertTrue(members.keys.contains { $0.hasSuffix("/libc.so.6") }, "bash's C library")
        XCTAssertTrue(members.keys.contains { $0.hasSuffix("lib/dracut/hooks/pre-mount") }, "the hook directories")
        XCTAssertEqual(text(members, "lib/dracut/build-parameter.txt")?.contains("base bash"), true)
    }

    func testAHostonlyBuildSeesTheInjectedDevicesAndKernelModules() throws {
        try writeProbeModule()
        let members = try build(
            ["--hostonly", "--add-device", "/dev/injected-disk", "-m", "probe"], on: host(),
            ownModules: root + "/modules.d")
        let probe = try XCTUnwrap(text(members, "etc/probe"))
        XCTAssertTrue(probe.hasPrefix("hostonly=-h devices="), probe)
        XCTAssertTrue(probe.contains("/dev/injected-disk"), probe)
        XCTAssertEqual(text(members, "etc/modaliases"), "injected_driver\n")
    }

    func testAHostThatCannotBeSeenGetsAGenericImage() throws {
        try writeProbeModule()
        let members = try build(
            ["--hostonly", "-m", "probe"], on: host(unmounted: "/proc"), ownModules: root + "/modules.d")
        XCTAssertEqual(text(members, "etc/probe"), "hostonly= devices=\n")
        XCTAssertNil(members["etc/modaliases"])
    }

    func testTheKdumpModuleGivesACaptureImageForItsConfiguration() throws {
        let configuration = root + "/kdump.conf"
        try "ext4 /dev/vdb\npath /var/crash\ncore_collector makedumpfile -l -d 31\n"
            .write(toFile: configuration, atomically: true, encoding: .utf8)
        let members = try build(["-m", "kdumpbase"], on: host(["KDUMP_CONFIG_FILE": configuration]))
        XCTAssertNotNil(members["usr/bin/makedumpfile"] ?? members["usr/sbin/makedumpfile"], "makedumpfile")
        let saved = try XCTUnwrap(text(members, "etc/kdump.conf"))
        XCTAssertTrue(saved.contains("/dev/vdb"), saved)
        XCTAssertTrue(text(members, "lib/dracut/modules.txt")?.contains("kdumpbase") ?? false)
        XCTAssertNotNil(members["init"])
    }
}
