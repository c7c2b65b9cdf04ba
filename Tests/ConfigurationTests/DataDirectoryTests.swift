import Foundation
import XCTest
@testable import Configuration

final class DataDirectoryTests: XCTestCase {
    var root: String!

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "kindling-datadir-\(UUID().uuidString)"
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func make(_ directories: String...) throws {
        for directory in directories {
            try FileManager.default.createDirectory(atPath: root + directory, withIntermediateDirectories: true)
        }
    }

    func touch(_ path: String) { FileManager.default.createFile(atPath: root + path, contents: Data()) }

    func testInstalledBinaryUsesItsOwnDirectoryThroughTheBindirLink() throws {
        try make("/usr/sbin", "/usr/lib64/kindling/modules.d")
        touch("/usr/lib64/kindling/kindling")
        touch("/usr/lib64/kindling/kindling-shim.bash")
        try FileManager.default.createSymbolicLink(
            atPath: root + "/usr/sbin/kindling",
            withDestinationPath: "../lib64/kindling/kindling")
        let data = try XCTUnwrap(DataDirectory.locate(executable: root + "/usr/sbin/kindling", environment: [:]))
        XCTAssertEqual(data.modules, root + "/usr/lib64/kindling/modules.d")
        XCTAssertEqual(data.shim, root + "/usr/lib64/kindling/kindling-shim.bash")
        // Its own programs lie beside its real path, not beside the BINDIR link.
        XCTAssertEqual(data.programs, root + "/usr/lib64/kindling")
    }

    func testACopiedBinaryNeverFallsBackToACheckoutAroundIt() throws {
        // A checkout holding a binary outside .build: it is not a build product, so no fallback.
        try make("/checkout/shim", "/checkout/modules.d", "/checkout/stage/usr/bin")
        touch("/checkout/Package.swift")
        touch("/checkout/shim/kindling-shim.bash")
        touch("/checkout/stage/usr/bin/kindling")
        XCTAssertNil(DataDirectory.locate(executable: root + "/checkout/stage/usr/bin/kindling", environment: [:]))
        try make("/checkout/.build/debug")
        touch("/checkout/.build/debug/kindling")
        let data = try XCTUnwrap(DataDirectory.locate(executable: root + "/checkout/.build/debug/kindling", environment: [:]))
        XCTAssertEqual(data.modules, root + "/checkout/modules.d")
        XCTAssertEqual(data.programs, root + "/checkout/.build/debug")
    }

    func testEnvironmentOverrideWins() {
        let data = DataDirectory.locate(executable: "/nowhere/kindling", environment: ["KINDLING_DATADIR": "/data"])
        XCTAssertEqual(data?.shim, "/data/kindling-shim.bash")
        // The data may be elsewhere; the programs are still the executable's neighbours.
        XCTAssertEqual(data?.programs, "/nowhere")
    }
}
