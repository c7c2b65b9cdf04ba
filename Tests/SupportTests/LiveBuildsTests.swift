import Foundation
import XCTest

@testable import Support

final class LiveBuildsTests: XCTestCase {
    /// A running program named kindling moves the cutoff back to its start, from `now`.
    func testTheCutoffIsTheOldestOtherBuildsStart() throws {
        let directory = NSTemporaryDirectory() + "kindling-live-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fake = directory + "/kindling"
        try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: fake)
        let later = time(nil) + 1000
        let process = Process()
        process.executableURL = URL(fileURLWithPath: fake)
        process.arguments = ["30"]
        try process.run()
        defer { process.terminate() }
        let started = time(nil)
        Thread.sleep(forTimeInterval: 0.2)
        // Other builds running on the machine can only make it earlier.
        XCTAssertLessThanOrEqual(try XCTUnwrap(LiveBuilds.cutoff(now: later)), started + 1)
    }
}
