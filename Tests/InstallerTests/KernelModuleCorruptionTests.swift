import Foundation
import Support
import XCTest

@testable import Installer

/// Broken module trees give one-line errors that name the module or file, never a crash.
final class KernelModuleCorruptionTests: XCTestCase {
    private typealias Support = KernelModuleTestSupport

    private static let virtioModules = [
        "kernel/drivers/block/virtio_blk.ko", "kernel/drivers/virtio/virtio.ko", "kernel/drivers/virtio/virtio_ring.ko",
    ]

    private func tree(compress: Bool = false) throws -> (kernel: Support.Kernel, directory: String) {
        let kernel = try Support.kernel()
        return (kernel, try Support.makeModuleTree(copying: Self.virtioModules, from: kernel, compress: compress))
    }

    /// The tree's directory is ROOT/lib/modules/KVER; ROOT goes.
    private func removeTree(_ directory: String) {
        let root = (0..<3).reduce(directory) { path, _ in (path as NSString).deletingLastPathComponent }
        try? FileManager.default.removeItem(atPath: root)
    }

    func testTruncatedModuleIsAnErrorNamingTheFile() throws {
        let (kernel, directory) = try tree()
        defer { removeTree(directory) }
        let victim = directory + "/kernel/drivers/virtio/virtio_ring.ko"
        XCTAssertEqual(truncate(victim, 300), 0)
        let build = try Support.Build(moduleDirectory: directory, version: kernel.version)
        XCTAssertThrowsError(try build.modules.install(["virtio_blk"], options: ModuleInstallOptions())) { error in
            guard case .unreadableModule(let path, _)? = error as? KernelModuleError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, victim)
            XCTAssertFalse("\(error)".contains("\n"))
        }
        // Optional mode goes on, but still says what is broken.
        try build.modules.install(["virtio_ring", "virtio"], options: ModuleInstallOptions(optional: true))
        XCTAssertTrue(build.messages.contains { $0.contains(victim) })
        XCTAssertTrue(build.installedModules(version: kernel.version).contains("kernel/drivers/virtio/virtio.ko"))
    }

    func testGarbageOrTruncatedBinaryIndexIsRefused() throws {
        let (kernel, directory) = try tree()
        defer { removeTree(directory) }
        let index = directory + "/modules.dep.bin"
        let original = try Data(contentsOf: URL(fileURLWithPath: index))
        for broken in [Data(repeating: 0x5a, count: 4096), original.prefix(8), original.prefix(12) + Data(count: 4)] {
            try broken.write(to: URL(fileURLWithPath: index))
            XCTAssertThrowsError(try Support.Build(moduleDirectory: directory, version: kernel.version)) { error in
                guard case .corruptIndex(let path, _)? = error as? KernelModuleError else { return XCTFail("\(error)") }
                XCTAssertEqual(path, index)
                XCTAssertTrue("\(error)".hasSuffix("run depmod"))
            }
        }
        try FileManager.default.removeItem(atPath: index)
        XCTAssertThrowsError(try Support.Build(moduleDirectory: directory, version: kernel.version))
    }

    func testMalformedModulesDepIsAnErrorNamingTheLine() throws {
        let (kernel, directory) = try tree()
        defer { removeTree(directory) }
        let text = try String(contentsOfFile: directory + "/modules.dep", encoding: .utf8)
        try (text + "this line has no colon\n").write(toFile: directory + "/modules.dep", atomically: false, encoding: .utf8)
        let build = try Support.Build(moduleDirectory: directory, version: kernel.version)
        XCTAssertThrowsError(try build.modules.install(["virtio_blk"], options: ModuleInstallOptions())) { error in
            XCTAssertEqual(
                error as? KernelModuleError,
                .corruptIndex(
                    path: directory + "/modules.dep",
                    message: "line 4 is not 'module: dependencies'"))
        }
        // A modules.dep that lacks a module the binary index has.
        try "".write(toFile: directory + "/modules.dep", atomically: false, encoding: .utf8)
        let second = try Support.Build(moduleDirectory: directory, version: kernel.version)
        XCTAssertThrowsError(try second.modules.install(["virtio_blk"], options: ModuleInstallOptions())) { error in
            guard case .corruptIndex(_, let message)? = error as? KernelModuleError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("virtio_blk.ko"))
        }
    }

    func testMissingModulesDepIsReportedBeforeTheBuild() throws {
        let (_, directory) = try tree()
        defer { removeTree(directory) }
        XCTAssertNil(try KernelModuleDirectory.checkContents(of: directory))
        try FileManager.default.removeItem(atPath: directory + "/modules.dep")
        XCTAssertThrowsError(try KernelModuleDirectory.checkContents(of: directory)) { error in
            XCTAssertEqual(error as? KernelModuleError, .missingDependencyIndex(directory))
        }
        XCTAssertThrowsError(try KernelModuleDirectory.checkContents(of: directory + "/nowhere"))
    }

    func testStaleModulesDepNamesTheMissingFile() throws {
        let (kernel, directory) = try tree()
        defer { removeTree(directory) }
        try FileManager.default.removeItem(atPath: directory + "/kernel/drivers/virtio/virtio.ko")
        let build = try Support.Build(moduleDirectory: directory, version: kernel.version)
        XCTAssertThrowsError(try build.modules.install(["virtio_blk"], options: ModuleInstallOptions())) { error in
            XCTAssertEqual(
                error as? KernelModuleError,
                .missingFile(module: "virtio", path: directory + "/kernel/drivers/virtio/virtio.ko"))
        }
    }

    func testCompressedModulesAreCopiedAsTheyAre() throws {
        let (kernel, directory) = try tree(compress: true)
        defer { removeTree(directory) }
        let build = try Support.Build(moduleDirectory: directory, version: kernel.version)
        let request = try ModuleInstallRequest(parsing: ["-s", "register_virtio_driver", "=drivers/block"])
        try build.modules.install(request.modules, options: request.options(compile: build.modules.pattern))
        XCTAssertEqual(build.installedModules(version: kernel.version), Set(Self.virtioModules.map { $0 + ".xz" }))
        let source = try Data(contentsOf: URL(fileURLWithPath: directory + "/kernel/drivers/block/virtio_blk.ko.xz"))
        let copy = try Data(contentsOf: URL(fileURLWithPath: build.image + "/lib/modules/\(kernel.version)/kernel/drivers/block/virtio_blk.ko.xz"))
        XCTAssertEqual(source, copy)
    }

    func testModuleDirectoryChecks() throws {
        XCTAssertNoThrow(try KernelModuleDirectory.checkDriversDirectory("/x/lib/modules/6.1.0-1-amd64/", kernelVersion: "6.1.0-1-amd64"))
        XCTAssertThrowsError(try KernelModuleDirectory.checkDriversDirectory("/x/lib/modules/6.1.0-2-amd64", kernelVersion: "6.1.0-1-amd64"))
        XCTAssertThrowsError(try KernelModuleDirectory.checkDriversDirectory("/x/modules/6.1.0-1-amd64", kernelVersion: "6.1.0-1-amd64"))
        XCTAssertEqual(
            KernelModuleDirectory.path(driversDirectory: nil, sysroot: "/sys/root", kernelVersion: "6.1"),
            "/sys/root/lib/modules/6.1")
        XCTAssertEqual(
            KernelModuleDirectory.path(driversDirectory: "/k/lib/modules/6.1//", sysroot: "", kernelVersion: "6.1"),
            "/k/lib/modules/6.1")
        XCTAssertThrowsError(try KernelModuleIndex(directory: "/nonexistent/lib/modules/1", logger: Logger(level: .fatal))) { error in
            XCTAssertEqual(error as? KernelModuleError, .missingModuleDirectory("/nonexistent/lib/modules/1"))
        }
    }

    func testRequestParsingFollowsDracutInstall() throws {
        let request = try ModuleInstallRequest(parsing: ["--silent", "a", "-o", "--mod-filter-symbol=x|y", "-P", "p", "=b", "-N", "^c$"])
        XCTAssertEqual(request.modules, ["a", "=b"])
        XCTAssertTrue(request.optional)
        XCTAssertTrue(request.silent)
        XCTAssertEqual(request.keepSymbol, "x|y")
        XCTAssertEqual(request.dropPath, "p")
        XCTAssertEqual(request.dropName, "^c$")
        XCTAssertThrowsError(try ModuleInstallRequest(parsing: ["-s"]))
        XCTAssertThrowsError(try ModuleInstallRequest(parsing: ["--frobnicate", "a"]))
        XCTAssertThrowsError(try ExtendedRegex("a(")) { error in
            guard case .invalidPattern("a(", _)? = error as? KernelModuleError else { return XCTFail("\(error)") }
        }
    }
}
