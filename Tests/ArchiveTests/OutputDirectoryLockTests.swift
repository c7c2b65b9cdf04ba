import Foundation
import XCTest
@testable import Archive
import Support

final class OutputDirectoryLockTests: XCTestCase {
    func testASecondBuildWaitsForTheFirstAndNoFileIsLeft() throws {
        let directory = NSTemporaryDirectory() + "kindling-lock-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let first = try OutputDirectoryLock(directory: directory, timeout: nil)
        let acquired = DispatchSemaphore(value: 0)
        let waited = Box()
        DispatchQueue.global().async {
            // flock locks belong to the open file: a second open waits like another process would.
            let second = try? OutputDirectoryLock(directory: directory, timeout: nil, waiting: { _ in waited.value = true })
            second?.release()
            acquired.signal()
        }
        XCTAssertEqual(acquired.wait(timeout: .now() + 0.3), .timedOut, "the second lock waits")
        first.release()
        XCTAssertEqual(acquired.wait(timeout: .now() + 5), .success, "and gets it once the first is released")
        XCTAssertTrue(waited.value)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), [])
    }

    func testTheWaitIsBoundedAndNamesTheHolder() throws {
        let directory = NSTemporaryDirectory() + "kindling-lock-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try OutputDirectoryLock(directory: directory, timeout: nil)
        defer { first.release() }
        var announced: pid_t?? = nil
        var checkpoints = 0
        XCTAssertThrowsError(
            try OutputDirectoryLock(
                directory: directory, timeout: 1, waiting: { announced = $0 }, checkpoint: { checkpoints += 1 })
        ) { error in
            XCTAssertEqual(error as? OutputDirectoryLock.Failure, .timedOut(directory: directory, seconds: 1, holder: getpid()))
            XCTAssertTrue("\(error)".hasPrefix("cannot lock \(directory): build \(getpid()) ("), "\(error)")
        }
        XCTAssertEqual(announced, .some(getpid()))
        XCTAssertGreaterThan(checkpoints, 5, "the wait polls, so a signal can end it")
    }

    func testACheckpointThatThrowsEndsTheWait() throws {
        struct Interrupted: Error {}
        let directory = NSTemporaryDirectory() + "kindling-lock-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try OutputDirectoryLock(directory: directory, timeout: nil)
        defer { first.release() }
        XCTAssertThrowsError(try OutputDirectoryLock(directory: directory, timeout: nil, checkpoint: { throw Interrupted() })) {
            XCTAssertTrue($0 is Interrupted)
        }
    }

    /// Root's lock is a 0600 file in a 0700 directory: no other user can open it, so none can hold it.
    func testRootsLockFileIsPrivate() throws {
        try XCTSkipUnless(geteuid() == 0, "root's lock directory")
        let lock = try OutputDirectoryLock(directory: NSTemporaryDirectory(), timeout: nil)
        defer { lock.release() }
        XCTAssertTrue(lock.lockPath.hasPrefix("/run/kindling/dir-"), lock.lockPath)
        let file = try FileManager.default.attributesOfItem(atPath: lock.lockPath)
        let directory = try FileManager.default.attributesOfItem(atPath: "/run/kindling")
        XCTAssertEqual(file[.posixPermissions] as? Int, 0o600)
        XCTAssertEqual(directory[.posixPermissions] as? Int, 0o700)
        XCTAssertEqual(try String(contentsOfFile: lock.lockPath, encoding: .utf8), "\(getpid())\n")
    }

    func testLeftoversOfAKilledBuildAreRemovedAndNothingElse() throws {
        let directory = NSTemporaryDirectory() + "kindling-lock-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let names = [
            ".initrd.img.kindling-Ab12Cd", ".initrd.img.kindling-short", ".other.img.kindling-Ab12Cd",
            ".initrd.img.kindling-Ef34Gh", ".initrd.img.kindling-New001",
        ]
        for name in names { FileManager.default.createFile(atPath: directory + "/" + name, contents: Data()) }
        let old = Date(timeIntervalSinceNow: -60)
        for name in names.dropLast() {
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: directory + "/" + name)
        }
        // A symlink of the pattern is not a temporary image: removing it would be harmless, but it is not ours.
        try FileManager.default.removeItem(atPath: directory + "/.initrd.img.kindling-Ef34Gh")
        try FileManager.default.createSymbolicLink(atPath: directory + "/.initrd.img.kindling-Ef34Gh", withDestinationPath: "/etc/passwd")
        let removed = AtomicFile.removeLeftovers(of: directory + "/initrd.img", changedBefore: time(nil) - 10)
        XCTAssertEqual(removed, [".initrd.img.kindling-Ab12Cd"])
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: directory)), Set(names.dropFirst()))
    }

    /// Synced or not, the new image replaces the old one whole, and nothing is left beside it.
    func testACommitReplacesTheTargetWithOrWithoutASync() throws {
        let directory = NSTemporaryDirectory() + "kindling-commit-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let target = directory + "/initrd.img"
        try Data("old".utf8).write(to: URL(fileURLWithPath: target))
        for (syncing, text) in [(false, "new"), (true, "newer")] {
            let file = try AtomicFile(replacing: target)
            XCTAssertTrue(writeAll(fd: file.fileDescriptor, Array(text.utf8)))
            XCTAssertEqual(String(decoding: FileManager.default.contents(atPath: target)!, as: UTF8.self), syncing ? "new" : "old")
            try file.commit(syncing: syncing)
            XCTAssertEqual(String(decoding: FileManager.default.contents(atPath: target)!, as: UTF8.self), text)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["initrd.img"])
        }
    }

    func testAMissingDirectoryIsNamed() {
        XCTAssertThrowsError(try OutputDirectoryLock(directory: "/nonexistent/kindling", timeout: nil)) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/kindling"), "\(error)")
        }
    }
}

private final class Box: @unchecked Sendable {
    var value = false
}
