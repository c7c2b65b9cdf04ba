import XCTest
@testable import Installer

final class DriverOptionsTests: XCTestCase {
    /// dracut rewrites its driver lists to underscores, and a driver another list asks for is not omitted.
    func testOmitPatternSkipsWantedDriversAndUsesUnderscores() {
        let options = DriverOptions(
            drivers: ["virtio-blk"], addDrivers: ["e1000"], forceDrivers: ["dm-crypt"],
            filesystems: ["fuse-blk"], omitDrivers: ["virtio_blk", "snd-hda", "dm_crypt", "nouveau"])
        XCTAssertEqual(options.drivers, ["virtio_blk"])
        XCTAssertEqual(options.forceDrivers, ["dm_crypt"])
        XCTAssertEqual(options.filesystems, ["fuse-blk"], "filesystem names are kept as given")
        XCTAssertEqual(options.omitPattern, "^snd_hda$|^nouveau$")
        XCTAssertEqual(DriverOptions().omitPattern, "")
    }
}
