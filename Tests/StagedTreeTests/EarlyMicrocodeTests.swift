import Foundation
import XCTest
@testable import StagedTree
import Support

final class EarlyMicrocodeTests: XCTestCase {
    static let intelCPU = """
        processor\t: 0
        vendor_id\t: GenuineIntel
        cpu family\t: 6
        model\t\t: 85
        model name\t: Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz
        stepping\t: 4
        """

    /// The microcode file is named from /proc/cpuinfo's text: hex family-model-stepping for Intel,
    /// the family for AMD (one shared file before family 0x15).
    func testHostProcessorNamesItsMicrocodeFile() {
        let intel = HostProcessor(cpuinfo: Self.intelCPU)
        XCTAssertEqual(intel?.vendor, "Intel")
        XCTAssertEqual(intel?.microcodeFile, "06-55-04")
        let amd = HostProcessor(cpuinfo: "vendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 1\nstepping\t: 1\n")
        XCTAssertEqual(amd?.microcodeFile, "microcode_amd_fam19h.bin")
        let oldAMD = HostProcessor(cpuinfo: "vendor_id\t: AuthenticAMD\ncpu family\t: 16\nmodel\t\t: 2\nstepping\t: 3\n")
        XCTAssertEqual(oldAMD?.microcodeFile, "microcode_amd.bin")
        XCTAssertNil(HostProcessor(cpuinfo: "vendor_id\t: SomethingElse\ncpu family\t: 6\n"))
    }

    /// Hostonly, only the running CPU's file goes in (its .initramfs variant counts), signatures never.
    func testHostonlyStagesOnlyTheHostsFile() throws {
        let root = NSTemporaryDirectory() + "kindling-microcode-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let firmware = root + "/firmware"
        try FileManager.default.createDirectory(atPath: firmware + "/intel-ucode", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: firmware + "/amd-ucode", withIntermediateDirectories: true)
        for (name, text) in [
            ("intel-ucode/06-55-04", "own"), ("intel-ucode/06-55-07", "other"),
            ("intel-ucode/06-55-04.asc", "sig"), ("amd-ucode/microcode_amd.bin", "amd"),
        ] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: firmware + "/" + name))
        }
        let staged = root + "/early"
        let microcode = EarlyMicrocode(firmwareDirectories: [firmware], hostProcessor: HostProcessor(cpuinfo: Self.intelCPU))
        XCTAssertTrue(try microcode.stage(in: staged))
        XCTAssertEqual(try String(contentsOfFile: staged + "/kernel/x86/microcode/GenuineIntel.bin", encoding: .utf8), "own")
        XCTAssertFalse(FileManager.default.fileExists(atPath: staged + "/kernel/x86/microcode/AuthenticAMD.bin"))
        XCTAssertEqual(try String(contentsOfFile: staged + "/early_cpio", encoding: .utf8), "1\n")

        let generic = EarlyMicrocode(firmwareDirectories: [firmware], hostProcessor: nil)
        XCTAssertTrue(try generic.stage(in: root + "/generic"))
        XCTAssertEqual(try String(contentsOfFile: root + "/generic/kernel/x86/microcode/GenuineIntel.bin", encoding: .utf8), "ownother")
        XCTAssertFalse(try EarlyMicrocode(firmwareDirectories: [root + "/none"], hostProcessor: nil).stage(in: root + "/empty"))
    }

    /// dracut's early_microcode_image_dir and _name: a vendor the firmware directories lack takes
    /// its file from the first image that holds it; images that are not archives are passed over.
    func testAVendorWithoutFirmwareTakesItsMicrocodeFromAnEarlyImage() throws {
        let root = NSTemporaryDirectory() + "kindling-microcode-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let tree = root + "/tree", images = root + "/images"
        try FileManager.default.createDirectory(atPath: tree + "/kernel/x86/microcode", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        try Data("from the image".utf8).write(to: URL(fileURLWithPath: tree + "/kernel/x86/microcode/AuthenticAMD.bin"))
        let archive = Process()
        archive.executableURL = URL(fileURLWithPath: "/bin/sh")
        archive.arguments = ["-c", "cd \"$0\" && find . | sort | cpio -o -H newc --quiet > \"$1\"", tree, images + "/amd-ucode.img"]
        try archive.run()
        archive.waitUntilExit()
        try Data("not cpio".utf8).write(to: URL(fileURLWithPath: images + "/amd-uc.img"))
        let microcode = EarlyMicrocode(
            firmwareDirectories: [root + "/no-firmware"], hostProcessor: nil, imageDirectories: [images],
            imageNames: ["amd-uc.img", "amd-ucode.img"])
        XCTAssertTrue(try microcode.stage(in: root + "/early"))
        XCTAssertEqual(
            try String(contentsOfFile: root + "/early/kernel/x86/microcode/AuthenticAMD.bin", encoding: .utf8),
            "from the image")
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/early/kernel/x86/microcode/GenuineIntel.bin"))
    }

    /// acpi_override: the *.aml tables, and only they, with the early archive's marker.
    func testACPITablesGoUnderKernelFirmwareACPI() throws {
        let root = NSTemporaryDirectory() + "kindling-acpi-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/tables", withIntermediateDirectories: true)
        for name in ["b.aml", "a.aml", "readme.txt"] {
            try Data(name.utf8).write(to: URL(fileURLWithPath: root + "/tables/" + name))
        }
        XCTAssertTrue(try ACPITables(tableDirectory: root + "/tables").stage(in: root + "/early", logger: Logger(level: .fatal)))
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: root + "/early/kernel/firmware/acpi").sorted(), ["a.aml", "b.aml"])
        XCTAssertEqual(try String(contentsOfFile: root + "/early/early_cpio", encoding: .utf8), "1\n")
        XCTAssertFalse(try ACPITables(tableDirectory: root + "/none").stage(in: root + "/early2", logger: Logger(level: .fatal)))
        // A kernel config without table upgrades says no; no config at all says yes, as dracut.
        try FileManager.default.createDirectory(atPath: root + "/boot", withIntermediateDirectories: true)
        try Data("CONFIG_ACPI=y\n".utf8).write(to: URL(fileURLWithPath: root + "/boot/config-6.1"))
        XCTAssertFalse(ACPITables.kernelSupportsOverride(sysroot: root, kernelVersion: "6.1"))
        try Data("CONFIG_ACPI_TABLE_UPGRADE=y\n".utf8).write(to: URL(fileURLWithPath: root + "/boot/config-6.1"))
        XCTAssertTrue(ACPITables.kernelSupportsOverride(sysroot: root, kernelVersion: "6.1"))
        XCTAssertTrue(ACPITables.kernelSupportsOverride(sysroot: root, kernelVersion: "6.2"))
    }
}
