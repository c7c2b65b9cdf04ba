import Foundation
import XCTest

@testable import Support

final class LiveBuildsTests: XCTestCase {
    /// A running program named kindling moves the cutoff back to its start; without one it is `now`.
    func testTheCutoffIsTheOldestOtherBuildsStart() throws {
        let directory = NSTemporaryDirectory() + "kindling-live-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fake = directory + "/kindling"
        try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: fake)
        let later = time(nil) + 1000
        let before = try XCTUnwrap(LiveBuilds.cutoff(now: later))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: fake)
        process.arguments = ["30"]
        try process.run()
        defer { process.terminate() }
        let started = time(nil)
        Thread.sleep(forTimeInterval: 0.2)
        let during = try XCTUnwrap(LiveBuilds.cutoff(now: later))
        XCTAssertLessThanOrEqual(during, started + 1)
        XCTAssertLessThan(during, before, "a build started now is older than `now + 1000`")
    }
}
