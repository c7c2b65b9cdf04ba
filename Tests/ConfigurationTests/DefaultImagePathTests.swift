import Foundation
import XCTest
@testable import Configuration

final class DefaultImagePathTests: XCTestCase {
    var root: String!

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "kindling-image-path-\(UUID().uuidString)"
        try make("/boot")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func make(_ directory: String) throws {
        try FileManager.default.createDirectory(atPath: root + directory, withIntermediateDirectories: true)
    }

    func touch(_ path: String, _ text: String = "") throws {
        try text.write(toFile: root + path, atomically: true, encoding: .utf8)
    }

    func path(_ kernel: String = "6.1.0-9", machineID: Bool = true, mounted: Set<String> = []) -> String {
        DefaultImagePath(sysroot: root, usesMachineID: machineID, isMountPoint: { mounted.contains($0) })
            .path(forKernel: kernel)
    }

    func executable(machineID: Bool = true, sysroot: String? = nil, mounted: Set<String> = []) -> String {
        DefaultImagePath(sysroot: sysroot ?? root, usesMachineID: machineID, isMountPoint: { mounted.contains($0) })
            .executablePath(forKernel: "6.1.0-9")
    }

    func testUEFIExecutableIsNamedAfterKernelMachineAndBuild() throws {
        XCTAssertEqual(executable(), root + "/boot/EFI/Linux/linux-6.1.0-9-Default.efi", "no machine-id: Default")
        try make("/etc")
        try touch("/etc/machine-id", "0123abcd\n")
        try touch("/etc/os-release", "ID=test\nBUILD_ID=\"2026.12 rc\"\n")
        XCTAssertEqual(executable(), root + "/boot/EFI/Linux/linux-6.1.0-9-0123abcd-2026.12 rc.efi")
        XCTAssertEqual(executable(machineID: false), root + "/boot/EFI/Linux/linux-6.1.0-9-2026.12 rc.efi")
        try make("/boot/efi/EFI")
        XCTAssertEqual(executable(), root + "/boot/efi/EFI/Linux/linux-6.1.0-9-0123abcd-2026.12 rc.efi")
    }

    func testBuildIDIsDataNeverRun() throws {
        try make("/etc")
        try touch("/etc/os-release", "BUILD_ID=$(touch \(root!)/ran)\n")
        XCTAssertEqual(executable(machineID: false), root + "/boot/EFI/Linux/linux-6.1.0-9-$(touch \(root!)/ran).efi")
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/ran"))
    }

    func testDebianNameWithOrWithoutAKernelImage() throws {
        XCTAssertEqual(path(), root + "/boot/initrd.img-6.1.0-9")
        try touch("/boot/vmlinuz-6.1.0-9")
        XCTAssertEqual(path(), root + "/boot/initrd.img-6.1.0-9")
    }

    func testBootLoaderEntryDirectoryNamedByMachineID() throws {
        try make("/etc")
        try touch("/etc/machine-id", "0123abcd\n")
        try make("/boot/loader/entries")
        XCTAssertEqual(path(), root + "/boot/initrd.img-6.1.0-9", "no entry directory for this machine yet")
        try make("/boot/0123abcd")
        XCTAssertEqual(path(), root + "/boot/0123abcd/6.1.0-9/initrd")
        XCTAssertEqual(path(machineID: false), root + "/boot/initrd.img-6.1.0-9", "--no-machineid")
        try make("/efi/loader/entries")
        try make("/efi/0123abcd")
        XCTAssertEqual(path(), root + "/efi/0123abcd/6.1.0-9/initrd", "/efi comes before /boot")
    }

    func testDefaultEntryDirectoryWinsOverMachineID() throws {
        try make("/etc")
        try touch("/etc/machine-id", "0123abcd\n")
        try make("/boot/efi/loader/entries")
        try make("/boot/efi/Default")
        XCTAssertEqual(path(), root + "/boot/efi/Default/6.1.0-9/initrd")
    }

    func testPrebuiltInitrdOfTheKernelPackage() throws {
        try make("/lib/modules/6.1.0-9")
        try touch("/lib/modules/6.1.0-9/initrd")
        try touch("/boot/vmlinuz-6.1.0-9")
        XCTAssertEqual(path(), root + "/lib/modules/6.1.0-9/initrd")
    }

    func testMountedEfiCountsOnlyWithoutSysroot() {
        let hostPath = DefaultImagePath(sysroot: "", isMountPoint: { $0 == "/efi" })
        XCTAssertTrue(hostPath.path(forKernel: "0.0-kindling-none").hasSuffix("/0.0-kindling-none/initrd"))
        XCTAssertTrue(hostPath.path(forKernel: "0.0-kindling-none").hasPrefix("/efi/"))
        XCTAssertEqual(path(mounted: ["/efi"]), root + "/boot/initrd.img-6.1.0-9")
    }

    func testMountInfoFieldsAreUnescaped() {
        let text = "36 35 98:0 /mnt1 /mnt\\040two rw,noatime master:1 - ext3 /dev/root rw\n" + "37 35 0:5 / /efi rw - vfat /dev/sda1 rw\n"
        XCTAssertEqual(MountTable.mountPoints(inMountInfo: text), ["/mnt two", "/efi"])
    }

    func testLoaderUsesTheDefaultPathOnlyWithoutAnImageOperand() throws {
        try touch("/boot/vmlinuz-5.10")
        let loader = ConfigurationLoader(environment: [:], ownModules: "/own", kernelRelease: { "5.10" })
        let configuration = try loader.load(arguments: ["--sysroot", root, "--no-kernel"], logger: .init(level: .fatal))
        XCTAssertEqual(configuration.settings?.outputPath, root + "/boot/initrd.img-5.10")
    }
}
