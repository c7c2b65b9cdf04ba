import Foundation
import XCTest
@testable import StagedTree

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
}
