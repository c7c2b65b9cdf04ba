import Foundation
import XCTest

@testable import Installer

/// Kernel module files copied on worker threads: what `finish` reports is what each copy did.
final class BackgroundCopiesTests: XCTestCase {
    private var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "kindling-copies-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/out/a", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/out/b", withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func source(_ name: String, _ text: String, mode: Int = 0o644) throws -> String {
        let path = directory + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, mode_t(mode))
        return path
    }

    /// Opens `path` as the engine does before it hands the copy over.
    private func queue(_ copies: BackgroundCopies, _ path: String, to destination: String, flags: Int32 = O_RDONLY) {
        let input = open(path, flags | O_CLOEXEC)
        XCTAssertGreaterThanOrEqual(input, 0)
        var status = stat()
        XCTAssertEqual(stat(path, &status), 0)
        copies.copy(input, status: status, source: path, to: destination)
    }

    func testCopiesKeepBytesModeAndTimesAndAreReportedInTheOrderAsked() throws {
        let copies = BackgroundCopies(workers: 2)
        var sources: [String] = []
        for index in 0..<40 {
            let path = try source("m\(index).ko", String(repeating: "module \(index)\n", count: index * 100), mode: 0o600 + index % 2 * 0o44)
            sources.append(path)
            queue(copies, path, to: directory + "/out/\(index % 2 == 0 ? "a" : "b")/m\(index).ko")
        }
        let result = copies.finish()
        XCTAssertEqual(result.copied, sources)
        XCTAssertTrue(result.failures.isEmpty)
        for (index, path) in sources.enumerated() {
            let copy = directory + "/out/\(index % 2 == 0 ? "a" : "b")/m\(index).ko"
            XCTAssertEqual(FileManager.default.contents(atPath: copy), FileManager.default.contents(atPath: path))
            var original = stat(), copied = stat()
            XCTAssertEqual(stat(path, &original), 0)
            XCTAssertEqual(stat(copy, &copied), 0)
            XCTAssertEqual(copied.st_mode, original.st_mode)
            XCTAssertEqual(copied.st_mtim.tv_sec, original.st_mtim.tv_sec)
            XCTAssertEqual(copied.st_mtim.tv_nsec, original.st_mtim.tv_nsec)
        }
        // Each finish reports only what was asked since the last one.
        XCTAssertEqual(copies.finish().copied, [])
    }

    func testAnExistingFileIsLeftAloneAndAFailedCopyIsReportedWithItsSource() throws {
        let copies = BackgroundCopies(workers: 2)
        let kept = try source("kept.ko", "new bytes")
        try Data("old bytes".utf8).write(to: URL(fileURLWithPath: directory + "/out/a/kept.ko"))
        queue(copies, kept, to: directory + "/out/a/kept.ko")
        // A descriptor that cannot be read: the write fails, and the partial copy is removed.
        let unreadable = try source("unreadable.ko", "bytes that never arrive")
        queue(copies, unreadable, to: directory + "/out/b/unreadable.ko", flags: O_WRONLY)
        let fine = try source("fine.ko", "fine")
        queue(copies, fine, to: directory + "/out/b/fine.ko")

        let result = copies.finish()
        XCTAssertEqual(result.copied, [fine])
        XCTAssertEqual(result.failures.map(\.source), [unreadable])
        XCTAssertTrue(result.failures[0].message.contains(directory + "/out/b/unreadable.ko"), result.failures[0].message)
        XCTAssertEqual(String(decoding: FileManager.default.contents(atPath: directory + "/out/a/kept.ko")!, as: UTF8.self), "old bytes")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/out/b/unreadable.ko"))
    }

    /// More copies than descriptors the queue may hold open at once: none is lost, none leaks.
    func testManyMoreCopiesThanOpenSourcesAllArrive() throws {
        let copies = BackgroundCopies(workers: 2)
        let path = try source("one.ko", "one")
        let before = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
        for index in 0..<300 { queue(copies, path, to: directory + "/out/\(index % 2 == 0 ? "a" : "b")/c\(index).ko") }
        XCTAssertEqual(copies.finish().copied.count, 300)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count, before)
    }
}
