import Foundation
import XCTest

@testable import KindlingCore

final class HostonlyEnvironmentTests: XCTestCase {
    private func table(_ mountPoints: [String]) throws -> String {
        let path = NSTemporaryDirectory() + "/kindling-mountinfo-\(getpid())-\(mountPoints.count)"
        let lines = mountPoints.enumerated().map { "\($0.offset + 20) 1 0:\($0.offset) / \($0.element) rw - fs fs rw\n" }
        try lines.joined().write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testWithoutAMountTableProcIsNotMounted() {
        XCTAssertEqual(HostonlyEnvironment.unmounted(mountTable: "/nonexistent-kindling-test/mountinfo"), "/proc")
    }

    func testAMissingDirectoryIsNamed() throws {
        let mounted = try table(["/"])
        XCTAssertEqual(HostonlyEnvironment.unmounted(mountTable: mounted, exists: { $0 != "/run" }), "/run")
        XCTAssertNil(HostonlyEnvironment.unmounted(mountTable: mounted, exists: { _ in true }))
    }

    /// A chroot whose root is no mount point: only what is mounted inside it counts.
    func testADirectoryUnderNoMountPointIsNotMounted() throws {
        let chroot = try table(["/proc", "/sys", "/dev"])
        XCTAssertEqual(HostonlyEnvironment.unmounted(mountTable: chroot, exists: { _ in true }), "/run")
        let complete = try table(["/proc", "/sys", "/dev", "/run"])
        XCTAssertNil(HostonlyEnvironment.unmounted(mountTable: complete, exists: { _ in true }))
    }
}
