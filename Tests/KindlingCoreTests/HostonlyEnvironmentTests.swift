import XCTest

@testable import KindlingCore

final class HostonlyEnvironmentTests: XCTestCase {
    func testWithoutAMountTableProcIsNotMounted() {
        XCTAssertEqual(HostonlyEnvironment.unmounted(mountTable: "/nonexistent-kindling-test/mountinfo"), "/proc")
    }

    func testAMissingDirectoryIsNamed() {
        XCTAssertEqual(HostonlyEnvironment.unmounted(mountTable: "/dev/null", exists: { $0 != "/run" }), "/run")
        XCTAssertNil(HostonlyEnvironment.unmounted(mountTable: "/dev/null", exists: { _ in true }))
    }
}
