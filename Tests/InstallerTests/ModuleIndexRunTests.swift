import Foundation
import Support
import XCTest

@testable import Installer

/// depmod on a thread of its own: `finish` gives its verdict, the same every time it is asked.
final class ModuleIndexRunTests: XCTestCase {
    func testAFailedDepmodFailsEveryFinishWithItsFirstLine() throws {
        let run = ModuleIndexRun(
            modules: ["kernel/a.ko"], depmod: "/bin/sh",
            arguments: ["-c", "echo 'depmod: FATAL: broken index' >&2; echo second >&2; exit 3"], logger: Logger(level: .fatal))
        var recorded = 0
        run.onSuccess = { _ in recorded += 1 }
        for _ in 0..<2 {
            XCTAssertThrowsError(try run.finish()) { error in
                XCTAssertEqual("\(error)", "\"depmod -a\" failed with status 3: depmod: FATAL: broken index")
            }
        }
        XCTAssertEqual(recorded, 0)
    }

    func testADepmodThatCannotStartFails() {
        let run = ModuleIndexRun(modules: [], depmod: "/nonexistent/depmod", arguments: [], logger: Logger(level: .fatal))
        XCTAssertThrowsError(try run.finish()) { error in
            XCTAssertTrue("\(error)".hasPrefix("\"depmod -a\" failed with status 127"), "\(error)")
        }
    }

    func testASuccessIsReportedOnceWithTheModules() throws {
        let marker = NSTemporaryDirectory() + "kindling-depmod-\(UUID().uuidString)"
        defer { unlink(marker) }
        // The command really runs, on its own thread, before finish returns.
        let run = ModuleIndexRun(
            modules: ["kernel/a.ko", "kernel/b.ko"], depmod: "/bin/sh", arguments: ["-c", "sleep 0.2; : >'\(marker)'"],
            logger: Logger(level: .fatal))
        var recorded: [[String]?] = []
        run.onSuccess = { recorded.append($0) }
        try run.finish()
        try run.finish()
        XCTAssertTrue(FileManager.default.fileExists(atPath: marker))
        XCTAssertEqual(recorded, [["kernel/a.ko", "kernel/b.ko"]])
    }

    func testNothingToRunSucceedsAtOnce() throws {
        let run = ModuleIndexRun(modules: nil)
        var recorded: [[String]?] = []
        run.onSuccess = { recorded.append($0) }
        try run.finish()
        XCTAssertEqual(recorded, [nil])
    }
}
