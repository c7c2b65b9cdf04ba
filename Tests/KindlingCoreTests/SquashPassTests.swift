import Archive
import Foundation
import Support
import XCTest

@testable import Configuration
@testable import KindlingCore

/// dracut 059's squash pass in whole builds, with a squash module of the test's own that does
/// what the real one's loader does in little (Tests/integration/squash-vs-dracut.sh compares the
/// real module's image with dracut's): the pass runs for a module named exactly `squash`, packs
/// the moved tree with the host's mksquashfs, writes the archive uncompressed, and fails in one
/// line, keeping the old image, when mksquashfs is missing or fails.
final class SquashPassTests: XCTestCase {
    private var root = ""
    private let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    private var image: String { root + "/initrd.img" }
    private var warnings: [String] = []

    override func setUpWithError() throws {
        guard findExecutableInSearchPath("mksquashfs") != nil, findExecutableInSearchPath("unsquashfs") != nil else {
            throw XCTSkip("needs squashfs-tools: run `make deps`")
        }
        root = NSTemporaryDirectory() + "kindling-squash-\(UUID().uuidString)"
        for directory in ["confdir", "tmp", "modules.d", "bin", "ng"] {
            try FileManager.default.createDirectory(atPath: root + "/" + directory, withIntermediateDirectories: true)
        }
        XCTAssertTrue(FileManager.default.createFile(atPath: root + "/dracut.conf", contents: Data()))
        try "DRACUT_VERSION=106\n".write(toFile: root + "/ng/dracut-version.sh", atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// A module named `name` that marks the tree it is installed into, and on the loader's call
    /// moves the tree into $squash_dir and leaves a /init and what it saw beside it.
    private func writeModule(_ name: String) throws {
        let directory = root + "/modules.d/99" + name
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let setup = """
            #!/bin/bash
            check() { return 0; }
            depends() { return 0; }
            install() {
                if [[ ! ${DRACUT_SQUASH_POST_INST-} ]]; then
                    mkdir -p "$initdir/etc" && echo inside > "$initdir/etc/squash-marker"
                    return 0
                fi
                for i in "$initdir"/*; do
                    [[ $squash_dir == "$i"/* ]] || mv "$i" "$squash_dir"/
                done
                printf '#!/bin/sh\\n' > "$initdir/init"
                printf '%s\\n' "$squash_dir" "$squash_img" "$(printenv DRACUT_SQUASH_POST_INST)" > "$initdir/loader-saw"
            }
            """
        try setup.write(toFile: directory + "/module-setup.sh", atomically: true, encoding: .utf8)
    }

    private func host(path: String = "/usr/sbin:/usr/bin:/sbin:/bin", dracutBase: String = "/usr/lib/dracut") -> HostProbes {
        HostProbes(
            environment: ["PATH": path, "dracutbasedir": dracutBase], processorInformation: { nil },
            unmountedHostDirectory: { _ in nil }, sysfsRoot: root + "/sys", kernelModules: [], leftoverCutoff: 0)
    }

    private func build(_ arguments: [String], on probes: HostProbes) throws {
        let data = DataDirectory(shim: checkout + "/shim/kindling-shim.bash", modules: checkout + "/modules.d")
        let logger = Logger(level: .fatal)
        logger.addSink(upTo: .warning) { [self] level, line in if level == .warning { warnings.append(line) } }
        let configuration = try ConfigurationLoader(
            environment: probes.environment, ownModules: data.modules, kernelRelease: { "0.0.0-test" }
        ).load(
            arguments: [
                "--conf", root + "/dracut.conf", "--confdir", root + "/confdir", "--tmpdir", root + "/tmp",
                "--modules-dir", root + "/modules.d", "--no-kernel", "--nostrip", "--force",
            ] + arguments + [image],
            logger: logger)
        let settings = try XCTUnwrap(configuration.settings)
        try ImageBuild(configuration: configuration, settings: settings, data: data, probes: probes, logger: logger).run()
    }

    private func memberPaths() throws -> Set<String> {
        let reader = try ImageReader(path: image)
        var paths: Set<String> = []
        while let archive = try reader.nextArchive() {
            while let member = try archive.reader.nextMember() { paths.insert(member.path.description) }
        }
        return paths
    }

    private func unpackedMember(_ path: String) throws -> String {
        let directory = root + "/unpacked"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let result = try runCommand("/bin/sh", ["-c", "cd \"$1\" && cpio -id --quiet < \"$2\"", "sh", directory, image])
        XCTAssertEqual(result.status, 0, result.errorText)
        return directory + "/" + path
    }

    private func squashStatistics() throws -> String {
        try runCommand("unsquashfs", ["-s", try unpackedMember("squash-root.img")]).outputText
    }

    func testTheTreeIsSquashedBehindTheLoaderAndTheArchiveIsNotCompressed() throws {
        try writeModule("squash")
        try build(["-m", "squash", "--compress", "gzip"], on: host())
        XCTAssertEqual(try memberPaths().subtracting(["."]), ["init", "loader-saw", "squash", "squash-root.img"])
        let start = try XCTUnwrap(FileHandle(forReadingAtPath: image)).readData(ofLength: 6)
        XCTAssertEqual(String(decoding: start, as: UTF8.self), "070701", "a cpio archive as it is, not gzip")
        let saw = try String(contentsOfFile: try unpackedMember("loader-saw"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(saw.count, 3)
        XCTAssertTrue(saw[0].hasSuffix("/initramfs/squash/root"), "$squash_dir: \(saw[0])")
        XCTAssertTrue(saw[1].hasSuffix("/initramfs/squash-root.img"), "$squash_img: \(saw[1])")
        XCTAssertEqual(saw[2], "1", "DRACUT_SQUASH_POST_INST, exported for the call")
        let listing = try runCommand("unsquashfs", ["-l", try unpackedMember("squash-root.img")]).outputText
        XCTAssertTrue(listing.contains("squashfs-root/etc/squash-marker"), listing)
        XCTAssertTrue(try squashStatistics().contains("Compression gzip"), "mksquashfs's default")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root + "/tmp"), [], "the staging directory is removed")
    }

    func testTheSquashCompressorIsUsedWhenMksquashfsHasIt() throws {
        try writeModule("squash")
        try build(["-m", "squash", "--squash-compressor", "xz"], on: host())
        XCTAssertTrue(try squashStatistics().contains("Compression xz"))
        XCTAssertEqual(warnings, [])
    }

    func testAnUnknownSquashCompressorWarnsAndTakesTheDefault() throws {
        try writeModule("squash")
        try build(["-m", "squash", "--squash-compressor", "nonesuch"], on: host())
        XCTAssertTrue(try squashStatistics().contains("Compression gzip"))
        XCTAssertEqual(warnings, ["mksquashfs doesn't support compressor 'nonesuch', failing back to default compressor."])
    }

    func testOtherModuleNamesAndDracutNGGetNoSquashPass() throws {
        try writeModule("squash-lib")
        try build(["-m", "squash-lib"], on: host())
        XCTAssertFalse(try memberPaths().contains("squash-root.img"))
        XCTAssertTrue(try memberPaths().contains("etc/squash-marker"))

        try writeModule("squash")
        try build(["-m", "squash"], on: host(dracutBase: root + "/ng"))
        XCTAssertFalse(try memberPaths().contains("squash-root.img"), "dracut-ng's squash modules are not this pass's")
    }

    func testWithoutMksquashfsTheBuildFailsInOneLineAndKeepsTheOldImage() throws {
        try writeModule("squash")
        try Data("old image".utf8).write(to: URL(fileURLWithPath: image))
        XCTAssertThrowsError(try build(["-m", "squash"], on: host(path: root + "/bin"))) { error in
            XCTAssertEqual(error as? SquashError, .toolMissing)
            XCTAssertFalse("\(error)".contains("\n"))
        }
        XCTAssertEqual(try String(contentsOfFile: image, encoding: .utf8), "old image")
    }

    func testAFailingMksquashfsFailsTheBuildNamingItsMessageAndKeepsTheOldImage() throws {
        try writeModule("squash")
        let fake = root + "/bin/mksquashfs"
        try "#!/bin/sh\necho 'FATAL ERROR: no space left' >&2\nexit 1\n".write(toFile: fake, atomically: true, encoding: .utf8)
        chmod(fake, 0o755)
        try Data("old image".utf8).write(to: URL(fileURLWithPath: image))
        XCTAssertThrowsError(try build(["-m", "squash"], on: host(path: root + "/bin:/usr/bin:/bin"))) { error in
            XCTAssertEqual(error as? SquashError, .toolFailed(status: 1, message: "FATAL ERROR: no space left"))
            XCTAssertEqual(
                "\(error)", "mksquashfs failed making the squash image (exit status 1): FATAL ERROR: no space left")
        }
        XCTAssertEqual(try String(contentsOfFile: image, encoding: .utf8), "old image")
    }

    /// dracut-ng's squash-lib and a handler of the test's own, as the real ones work in little:
    /// install() puts the loader into $squashdir through dstdir; the post-install pass packs the
    /// rest (here: lists it into root.list) and moves $squashdir's files into the emptied tree.
    private func writeDracutNGModules(handlerFails: Bool = false) throws {
        let lib = root + "/modules.d/88squash-lib"
        let handler = root + "/modules.d/74squash-test"
        for directory in [lib, handler] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let librarySetup = """
            #!/bin/bash
            check() { return 0; }
            depends() { return 0; }
            install() {
                if [[ ! ${DRACUT_SQUASH_POST_INST-} ]]; then
                    [[ -d $squashdir ]] || { derror "no squashdir"; return 1; }
                    mkdir -p "$squashdir/usr/bin"
                    dstdir="$squashdir" inst_simple "$moddir/module-setup.sh" /init
                    dstdir="$squashdir" ln_r /init /usr/bin/loader
                    mkdir -p "$initdir/etc" && echo inside > "$initdir/etc/squash-marker"
                    return 0
                fi
                DRACUT_SQUASH_POST_INST=1 module_install squash-test || return 1
                for f in "$initdir"/*; do [[ $f == "$squashdir" ]] || rm -rf "$f"; done
                mv "$squashdir"/* "$initdir"
            }
            """
        let handlerSetup = """
            #!/bin/bash
            check() { return 0; }
            depends() { echo squash-lib; }
            install() {
                [[ ${DRACUT_SQUASH_POST_INST-} ]] || return 0
                \(handlerFails ? "dfatal \"Failed making squash image\"; exit 1" : "")
                (cd "$initdir" && find . -path ./squash_root -prune -o -print | sort) > "$squashdir/root.list"
                printf '%s\n' "${squash_compress-}" > "$squashdir/compressor"
            }
            """
        try librarySetup.write(toFile: lib + "/module-setup.sh", atomically: true, encoding: .utf8)
        try handlerSetup.write(toFile: handler + "/module-setup.sh", atomically: true, encoding: .utf8)
    }

    func testDracutNGSquashLibPacksTheTreeAfterEverythingAndKeepsTheCompressor() throws {
        try writeDracutNGModules()
        try build(["-m", "squash-test", "--compress", "gzip", "--squash-compressor", "zstd"], on: host(dracutBase: root + "/ng"))
        XCTAssertEqual(
            try memberPaths().subtracting(["."]), ["init", "usr", "usr/bin", "usr/bin/loader", "root.list", "compressor"])
        let start = try XCTUnwrap(FileHandle(forReadingAtPath: image)).readData(ofLength: 6)
        XCTAssertEqual(String(decoding: start, as: UTF8.self), "070701", "a cpio archive as it is, not gzip, as dracut-ng")
        let list = try String(contentsOfFile: try unpackedMember("root.list"), encoding: .utf8)
        XCTAssertTrue(list.contains("./etc/squash-marker\n"), "the modules' tree was there to pack")
        XCTAssertTrue(list.contains("/dracut/build-parameter.txt\n"), "after the build parameters: \(list)")
        XCTAssertFalse(list.contains("./init\n"), "the loader stayed in $squashdir")
        XCTAssertEqual(try String(contentsOfFile: try unpackedMember("compressor"), encoding: .utf8), "zstd\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root + "/tmp"), [], "the staging directory is removed")
    }

    func testAFailingDracutNGSquashHandlerFailsInOneLineAndKeepsTheOldImage() throws {
        try writeDracutNGModules(handlerFails: true)
        try Data("old image".utf8).write(to: URL(fileURLWithPath: image))
        XCTAssertThrowsError(try build(["-m", "squash-test"], on: host(dracutBase: root + "/ng"))) { error in
            XCTAssertEqual("\(error)", "module 'squash-lib' failed in install(): Failed making squash image")
        }
        XCTAssertEqual(try String(contentsOfFile: image, encoding: .utf8), "old image")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root + "/tmp"), [], "the staging directory is removed")
    }
}
