import Foundation
import XCTest
@testable import Archive

final class OutputDirectoryLockTests: XCTestCase {
    func testASecondBuildWaitsForTheFirstAndNoFileIsLeft() throws {
        let directory = NSTemporaryDirectory() + "kindling-lock-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let first = try OutputDirectoryLock(directory: directory)
        let acquired = DispatchSemaphore(value: 0)
        let waited = Box()
        DispatchQueue.global().async {
            // flock locks belong to the open file: a second open waits like another process would.
            let second = try? OutputDirectoryLock(directory: directory) { _ in waited.value = true }
            second?.release()
            acquired.signal()
        }
        XCTAssertEqual(acquired.wait(timeout: .now() + 0.3), .timedOut, "the second lock waits")
        first.release()
        XCTAssertEqual(acquired.wait(timeout: .now() + 5), .success, "and gets it once the first is released")
        XCTAssertTrue(waited.value)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), [])
    }

    /// A signal must end a build that waits for another one: the wait asks, and stops.
    func testTheWaitEndsWhenCancelled() throws {
        let directory = NSTemporaryDirectory() + "kindling-lock-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try OutputDirectoryLock(directory: directory)
        defer { first.release() }
        var asked = 0
        struct Interrupted: Error {}
        XCTAssertThrowsError(
            try OutputDirectoryLock(directory: directory, cancelled: {
                asked += 1
                if asked == 3 { throw Interrupted() }
            })
        ) { error in XCTAssertTrue(error is Interrupted, "\(error)") }
        XCTAssertEqual(asked, 3)
    }

    func testAMissingDirectoryIsNamed() {
        XCTAssertThrowsError(try OutputDirectoryLock(directory: "/nonexistent/kindling")) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/kindling"), "\(error)")
        }
    }
}

private final class Box: @unchecked Sendable {
    var value = false
}
