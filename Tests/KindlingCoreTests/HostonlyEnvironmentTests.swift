import Support
import XCTest

@testable import Configuration
@testable import KindlingCore

final class HostonlyEnvironmentTests: XCTestCase {
    func testWithoutAMountTableProcIsNotMounted() {
        XCTAssertEqual(HostonlyEnvironment.unmounted(mountTable: "/nonexistent-kindling-test/mountinfo"), "/proc")
    }

    func testAMissingDirectoryIsNamed() {
        XCTAssertEqual(HostonlyEnvironment.unmounted(mountTable: "/dev/null", exists: { $0 != "/run" }), "/run")
        XCTAssertNil(HostonlyEnvironment.unmounted(mountTable: "/dev/null", exists: { _ in true }))
    }

    func testHostonlyIsTurnedOffOnlyWhenTheHostCannotBeSeen() {
        var configuration = BuildConfiguration()
        configuration.variables["hostonly"] = "-h"
        HostonlyEnvironment.adjust(&configuration, logger: Logger(level: .fatal), unmounted: nil)
        XCTAssertTrue(configuration.hostonly)
        HostonlyEnvironment.adjust(&configuration, logger: Logger(level: .fatal), unmounted: "/proc")
        XCTAssertFalse(configuration.hostonly)
    }
}
