import Foundation
import Support
import XCTest

@testable import Installer

/// instmods against a real kernel, with modprobe --show-depends and dracut-install as oracles.
final class KernelModuleInstallerTests: XCTestCase {
    private typealias Support = KernelModuleTestSupport

    private static let commonModules = [
        "virtio_blk", "virtio_pci", "ext4", "vfat", "usb-storage", "uas", "xhci_pci", "ehci_pci", "sd_mod", "nvme", "ahci",
    ]

    func testEachModuleInstallsExactlyWhatModprobeWouldLoad() throws {
        let kernel = try Support.kernel()
        for module in Self.commonModules {
            let build = try Support.Build(moduleDirectory: kernel.moduleDirectory, version: kernel.version)
            try build.modules.install([module], options: ModuleInstallOptions())
            XCTAssertEqual(
                build.installedModules(version: kernel.version), try Support.showDepends(module, kernel: kernel),
                "instmods \(module)")
        }
    }

    func testOneBuildInstallsTheUnionOfModprobesAnswers() throws {
        let kernel = try Support.kernel()
        let build = try Support.Build(moduleDirectory: kernel.moduleDirectory, version: kernel.version)
        try build.modules.install(Self.commonModules, options: ModuleInstallOptions())
        var expected: Set<String> = []
        for module in Self.commonModules { expected.formUnion(try Support.showDepends(module, kernel: kernel)) }
        XCTAssertEqual(build.installedModules(version: kernel.version), expected)
        XCTAssertEqual(build.modules.installedPaths.count, expected.count)
    }

    func testSoftdepsFollowModinfo() throws {
        let kernel = try Support.kernel()
        let softdep = try XCTUnwrap(
            runCommand(
                Support.systemTool("modinfo"),
                ["-b", kernel.root, "-k", kernel.version, "-F", "softdep", "ext4"]
            ).outputText)
        // "pre: crypto-crc32c": the names after the pre:/post: markers.
        let names = softdep.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init).filter { !$0.hasSuffix(":") }
        try XCTSkipIf(names.isEmpty, "ext4 has no softdep in this kernel")
        let build = try Support.Build(moduleDirectory: kernel.moduleDirectory, version: kernel.version)
        try build.modules.install(["ext4"], options: ModuleInstallOptions())
        let installed = build.installedModules(version: kernel.version)
        for name in names {
            let wanted = try Support.showDepends(name, kernel: kernel)
            XCTAssertFalse(wanted.isEmpty)
            XCTAssertTrue(wanted.isSubset(of: installed), "softdep \(name): \(wanted.subtracting(installed)) missing")
        }
    }

    func testWeakDependenciesAreAskedForOnlyWhenLibkmodHasThem() throws {
        let kernel = try Support.kernel()
        let build = try Support.Build(moduleDirectory: kernel.moduleDirectory, version: kernel.version)
        let exported = try runCommand("/bin/sh", ["-c", "nm -D $(ldconfig -p | awk '/libkmod.so.2 /{print $NF; exit}')"]).outputText
        try XCTSkipIf(exported.isEmpty, "cannot list libkmod's symbols")
        XCTAssertEqual(KernelModuleIndex.providesWeakDependencies, exported.contains("kmod_module_get_weakdeps"))
        let vfat = try XCTUnwrap(build.index.lookup("vfat").first)
        if !KernelModuleIndex.providesWeakDependencies { XCTAssertEqual(try build.index.weakDependencies(of: vfat), []) }
    }

    func testBuiltinModulesSucceedAndCopyNothing() throws {
        let kernel = try Support.kernel()
        let builtinList = try String(contentsOfFile: kernel.moduleDirectory + "/modules.builtin", encoding: .utf8)
        let builtins = builtinList.split(separator: "\n").prefix(5).map { KernelModule.name(ofFile: String($0)) }
        let build = try Support.Build(moduleDirectory: kernel.moduleDirectory, version: kernel.version)
        for name in builtins {
            XCTAssertEqual(try build.index.lookup(name).map(\.isBuiltin), [true], name)
            XCTAssertTrue(build.modules.isAvailable(name))
        }
        try build.modules.install(builtins, options: ModuleInstallOptions())
        XCTAssertEqual(build.installedModules(version: kernel.version), [])
    }

    func testSubdirectoryWalkMatchesDracutInstall() throws {
        let kernel = try Support.kernel()
        let build = try Support.Build(moduleDirectory: kernel.moduleDirectory, version: kernel.version)
        try build.modules.install(["=drivers/usb/storage"], options: ModuleInstallOptions())
        let installed = build.installedModules(version: kernel.version)
        let storage = Support.relativeFiles(under: kernel.moduleDirectory + "/kernel/drivers/usb/storage")
        XCTAssertFalse(storage.isEmpty)
        XCTAssertTrue(Set(storage.map { "kernel/drivers/usb/storage/" + $0 }).isSubset(of: installed))
        XCTAssertEqual(installed, try Support.dracutInstallModules(["=drivers/usb/storage"], kernel: kernel))
    }

    func testSymbolFilterKeepsWhatDracutInstallKeeps() throws {
        let kernel = try Support.kernel()
        let blockFunctions =
            "ahci_platform_get_resources|ata_scsi_ioctl|scsi_add_host|blk_cleanup_queue|register_mtd_blktrans|"
            + "scsi_esp_register|register_virtio_device|usb_stor_disconnect|mmc_add_host|sdhci_add_host|scsi_add_host_with_dma|"
            + "blk_mq_alloc_disk|blk_mq_alloc_request|blk_mq_destroy_queue|blk_cleanup_disk"
        for tree in ["=drivers/block", "=drivers"] {
            let build = try Support.Build(moduleDirectory: kernel.moduleDirectory, version: kernel.version)
            let request = try ModuleInstallRequest(parsing: ["-o", "-s", blockFunctions, tree])
            let started = Date()
            try build.modules.install(request.modules, options: request.options(compile: build.modules.pattern))
            let elapsed = Date().timeIntervalSince(started)
            let oracleStarted = Date()
            let expected = try Support.dracutInstallModules(["-o", "-s", blockFunctions, tree], kernel: kernel)
            print(
                "dracut_instmods -o -s BLOCKFUNCS \(tree): \(String(format: "%.2f", elapsed)) s in Kindling,",
                "\(String(format: "%.2f", Date().timeIntervalSince(oracleStarted))) s in dracut-install")
            let installed = build.installedModules(version: kernel.version)
            XCTAssertTrue(installed.contains("kernel/drivers/block/virtio_blk.ko"))
            XCTAssertEqual(installed, expected, "only Kindling: \(installed.subtracting(expected)); only dracut: \(expected.subtracting(installed))")
        }
    }

    func testSymbolExclusionAndPathFilters() throws {
        let kernel = try Support.kernel()
        let build = try Support.Build(moduleDirectory: kernel.moduleDirectory, version: kernel.version)
        let arguments = ["-o", "-S", "usb_stor_disconnect", "-P", "/uas\\.ko$", "=drivers/usb/storage"]
        let request = try ModuleInstallRequest(parsing: arguments)
        try build.modules.install(request.modules, options: request.options(compile: build.modules.pattern))
        let installed = build.installedModules(version: kernel.version)
        XCTAssertEqual(installed, try Support.dracutInstallModules(arguments, kernel: kernel))
        XCTAssertTrue(installed.contains("kernel/drivers/usb/storage/usb-storage.ko"))
        XCTAssertFalse(installed.contains("kernel/drivers/usb/storage/uas.ko"))
        XCTAssertFalse(installed.contains("kernel/drivers/usb/storage/ums-alauda.ko"))
    }

    func testNameFilterAppliesToDependenciesToo() throws {
        let kernel = try Support.kernel()
        let build = try Support.Build(moduleDirectory: kernel.moduleDirectory, version: kernel.version)
        let options = ModuleInstallOptions(filter: ModuleFilter(dropName: try ExtendedRegex("^virtio_ring$|^nvme$")))
        try build.modules.install(["virtio_blk", "nvme"], options: options)
        XCTAssertEqual(
            build.installedModules(version: kernel.version),
            ["kernel/drivers/block/virtio_blk.ko", "kernel/drivers/virtio/virtio.ko"])
    }

    func testMissingModuleFailsOnlyWhenChecked() throws {
        let kernel = try Support.kernel()
        let build = try Support.Build(moduleDirectory: kernel.moduleDirectory, version: kernel.version)
        XCTAssertThrowsError(try build.modules.install(["no_such_module", "vfat"], options: ModuleInstallOptions())) { error in
            XCTAssertEqual(error as? KernelModuleError, .notFound("no_such_module"))
        }
        XCTAssertTrue(build.messages.contains("kernel module 'no_such_module' not found"))
        // dracut-install stops at the first failure.
        XCTAssertEqual(build.installedModules(version: kernel.version), [])
        try build.modules.install(["no_such_module", "vfat"], options: ModuleInstallOptions(optional: true))
        XCTAssertEqual(build.installedModules(version: kernel.version), try Support.showDepends("vfat", kernel: kernel))
        XCTAssertFalse(build.modules.isAvailable("no_such_module"))
        XCTAssertTrue(build.modules.isAvailable("vfat"))
    }

    func testPathFilterRejectingANamedModuleFailsUnlessOptional() throws {
        let kernel = try Support.kernel()
        let build = try Support.Build(moduleDirectory: kernel.moduleDirectory, version: kernel.version)
        let options = ModuleInstallOptions(filter: ModuleFilter(keepPath: try ExtendedRegex("/fs/")))
        XCTAssertThrowsError(try build.modules.install(["virtio_blk"], options: options)) { error in
            XCTAssertEqual(error as? KernelModuleError, .filteredOut("virtio_blk"))
        }
        var optional = options
        optional.optional = true
        try build.modules.install(["virtio_blk", "vfat"], options: optional)
        XCTAssertEqual(build.installedModules(version: kernel.version), try Support.showDepends("vfat", kernel: kernel))
    }

    func testArgumentFormsNameTheSameModule() throws {
        let kernel = try Support.kernel()
        XCTAssertEqual(ModuleArgument("usb-storage.ko.zst"), .name("usb-storage"))
        XCTAssertEqual(ModuleArgument("vfat.ko"), .name("vfat"))
        XCTAssertEqual(ModuleArgument("=drivers/hid"), .subdirectory("drivers/hid"))
        for argument in [
            "usb-storage", "usb_storage.ko", "usb_storage.ko.xz",
            kernel.moduleDirectory + "/kernel/drivers/usb/storage/usb-storage.ko",
        ] {
            let build = try Support.Build(moduleDirectory: kernel.moduleDirectory, version: kernel.version)
            try build.modules.install([argument], options: ModuleInstallOptions())
            XCTAssertEqual(build.installedModules(version: kernel.version), try Support.showDepends("usb-storage", kernel: kernel), argument)
        }
        // An alias from modules.alias resolves to its driver.
        let build = try Support.Build(moduleDirectory: kernel.moduleDirectory, version: kernel.version)
        try build.modules.install(["fs-vfat"], options: ModuleInstallOptions())
        XCTAssertTrue(build.installedModules(version: kernel.version).contains("kernel/fs/fat/vfat.ko"))
    }

    func testHostonlyInstallsOnlyAllowedModulesButAllTheirDependencies() throws {
        let kernel = try Support.kernel()
        let build = try Support.Build(moduleDirectory: kernel.moduleDirectory, version: kernel.version)
        try build.modules.install(
            ["virtio_blk", "vfat", "=drivers/usb/storage"],
            options: ModuleInstallOptions(hostModules: ["virtio_blk", "uas"]))
        XCTAssertEqual(
            build.installedModules(version: kernel.version),
            try Support.showDepends("virtio_blk", kernel: kernel).union(try Support.showDepends("uas", kernel: kernel)))
    }

    func testLoadedModulesAreReadFromProcModules() throws {
        let directory = try Support.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "virtio_blk 24576 2 - Live 0x0\next4 1032192 1 - Live 0x0\n".write(toFile: directory + "/modules", atomically: false, encoding: .utf8)
        XCTAssertEqual(HostModules.loaded(procModules: directory + "/modules"), ["virtio_blk", "ext4"])
        XCTAssertEqual(HostModules.loaded(procModules: directory + "/absent"), [])
    }

    func testFirmwareIsFoundPlainCompressedOrByGlobAndMissingIsQuiet() throws {
        let kernel = try Support.kernel()
        let firmware = try Support.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: firmware) }
        let files = [
            "updates/e100/d101m_ucode.bin": "new", "base/e100/d101m_ucode.bin": "old", "base/e100/d101s_ucode.bin.xz": "xz",
            "base/brcm/brcmfmac4356-pcie.google,caroline.bin": "glob", "base/brcm/brcmfmac4356-pcie.txt": "glob-txt",
        ]
        for (path, content) in files {
            try FileManager.default.createDirectory(
                atPath: ((firmware + "/" + path) as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true)
            try content.write(toFile: firmware + "/" + path, atomically: false, encoding: .utf8)
        }
        let build = try Support.Build(
            moduleDirectory: kernel.moduleDirectory, version: kernel.version,
            firmwareDirectories: [firmware + "/updates", firmware + "/base"])
        try build.modules.install(["e100", "brcmfmac"], options: ModuleInstallOptions())
        let installed = Support.relativeFiles(under: build.image + "/lib/firmware")
        XCTAssertEqual(
            installed,
            [
                "e100/d101m_ucode.bin", "e100/d101s_ucode.bin.xz",
                "brcm/brcmfmac4356-pcie.google,caroline.bin", "brcm/brcmfmac4356-pcie.txt",
            ])
        XCTAssertEqual(try String(contentsOfFile: build.image + "/lib/firmware/e100/d101m_ucode.bin", encoding: .utf8), "new")
        XCTAssertTrue(build.messages.contains("Missing firmware e100/d102e_ucode.bin for kernel module e100"))
    }

    /// fw_dir need not be UTF-8 (a dracut.conf value is bytes): a firmware directory whose name
    /// is Latin-1 is searched as it is, plain names and globs alike.
    func testFirmwareDirectoriesWhoseNamesAreNotUTF8AreSearched() throws {
        let kernel = try Support.kernel()
        let parent = try Support.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let firmware = PathBytes.string(Array((parent + "/caf").utf8) + [0xE9])
        for directory in [firmware, firmware + "/e100", firmware + "/brcm"] { XCTAssertEqual(mkdir(directory, 0o755), 0) }
        for name in ["e100/d101m_ucode.bin", "brcm/brcmfmac4356-pcie.google,caroline.bin"] {
            let fd = open(firmware + "/" + name, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
            XCTAssertGreaterThanOrEqual(fd, 0)
            close(fd)
        }
        let build = try Support.Build(
            moduleDirectory: kernel.moduleDirectory, version: kernel.version,
            firmwareDirectories: [firmware])
        try build.modules.install(["e100", "brcmfmac"], options: ModuleInstallOptions())
        XCTAssertEqual(
            Support.relativeFiles(under: build.image + "/lib/firmware"),
            ["e100/d101m_ucode.bin", "brcm/brcmfmac4356-pcie.google,caroline.bin"])
    }

    func testIndexWriterMakesModprobeWorkInTheImage() throws {
        let kernel = try Support.kernel()
        let build = try Support.Build(moduleDirectory: kernel.moduleDirectory, version: kernel.version)
        try build.modules.install(["virtio_blk", "ext4"], options: ModuleInstallOptions())
        try ModuleIndexWriter(
            moduleDirectory: kernel.moduleDirectory + "/", kernelVersion: kernel.version,
            imageInstaller: build.fileInstaller, logger: build.logger
        ).write()
        let directory = build.image + "/lib/modules/" + kernel.version
        let copied = ModuleIndexWriter.kernelFiles.filter { FileManager.default.fileExists(atPath: kernel.moduleDirectory + "/" + $0) }
        XCTAssertTrue(copied.contains("modules.builtin"))
        for name in copied + ["modules.dep", "modules.dep.bin", "modules.alias.bin", "modules.softdep"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/" + name), name)
        }
        let dependencies = try String(contentsOfFile: directory + "/modules.dep", encoding: .utf8)
        XCTAssertEqual(dependencies.split(separator: "\n").count, build.installedModules(version: kernel.version).count)
        let result = try runCommand(
            Support.systemTool("modprobe"),
            ["-d", build.image, "-S", kernel.version, "--show-depends", "virtio_blk"])
        XCTAssertEqual(result.status, 0, result.errorText)
        XCTAssertTrue(result.outputText.contains("/lib/modules/\(kernel.version)/kernel/drivers/virtio/virtio_ring.ko"))
    }

    /// The same module files (a module compressed in place keeps its name) are not indexed again;
    /// a new module file is.
    func testIndexWriterRunsDepmodAgainOnlyForOtherModuleFiles() throws {
        let kernel = try Support.kernel()
        let build = try Support.Build(moduleDirectory: kernel.moduleDirectory, version: kernel.version)
        try build.modules.install(["virtio_blk"], options: ModuleInstallOptions())
        let writer = ModuleIndexWriter(
            moduleDirectory: kernel.moduleDirectory, kernelVersion: kernel.version,
            imageInstaller: build.fileInstaller, logger: build.logger)
        let index = build.image + "/lib/modules/\(kernel.version)/modules.dep"
        let first = try writer.write()
        XCTAssertEqual(first?.contains("kernel/drivers/block/virtio_blk.ko"), true, "\(first ?? [])")
        try FileManager.default.removeItem(atPath: index)
        XCTAssertEqual(try writer.write(unlessModulesAre: first), first)
        XCTAssertFalse(FileManager.default.fileExists(atPath: index), "depmod ran again for the same modules")

        try build.modules.install(["ext4"], options: ModuleInstallOptions())
        let second = try writer.write(unlessModulesAre: first)
        XCTAssertNotEqual(second, first)
        XCTAssertTrue(try String(contentsOfFile: index, encoding: .utf8).contains("kernel/fs/ext4/ext4.ko"))
    }

    func testIndexWriterReportsDepmodFailure() throws {
        let kernel = try Support.kernel()
        let build = try Support.Build(moduleDirectory: kernel.moduleDirectory, version: kernel.version)
        try build.modules.install(["vfat"], options: ModuleInstallOptions())
        // A module file depmod cannot parse: an empty .ko.
        _ = FileManager.default.createFile(atPath: build.image + "/lib/modules/\(kernel.version)/kernel/broken.ko", contents: Data())
        let writer = ModuleIndexWriter(
            moduleDirectory: kernel.moduleDirectory, kernelVersion: kernel.version,
            imageInstaller: build.fileInstaller, logger: build.logger)
        do {
            try writer.write()
            // Some depmod versions only warn about an unreadable module; then the index still lists vfat.
            let dependencies = try String(contentsOfFile: build.image + "/lib/modules/\(kernel.version)/modules.dep", encoding: .utf8)
            XCTAssertTrue(dependencies.contains("kernel/fs/fat/vfat.ko"))
        } catch let error as KernelModuleError {
            guard case .depmodFailed = error else { return XCTFail("unexpected \(error)") }
            XCTAssertFalse(error.description.contains("\n"))
        }
    }
}
