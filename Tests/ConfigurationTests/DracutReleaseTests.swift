import Foundation
import XCTest

@testable import Configuration

final class DracutReleaseTests: XCTestCase {
    private func release(_ file: String?) throws -> DracutRelease {
        let directory = NSTemporaryDirectory() + "kindling-release-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        if let file { try file.write(toFile: directory + "/dracut-version.sh", atomically: true, encoding: .utf8) }
        return DracutRelease.installed(in: directory)
    }

    func testTheInstalledVersionNamesTheFlavour() throws {
        let debian = try release("#!/bin/sh\n# shellcheck disable=SC2034\nDRACUT_VERSION=059-4\n")
        XCTAssertEqual(debian.version, "059-4")
        XCTAssertEqual(debian.flavour, .dracut059)
        let ng = try release("DRACUT_VERSION=\"106\"\n")
        XCTAssertEqual(ng.version, "106")
        XCTAssertEqual(ng.flavour, .dracutNG)
    }

    func testWithoutAnInstalledDracutKindlingFollows059() throws {
        XCTAssertEqual(try release(nil), .compatible)
        XCTAssertEqual(try release("echo nothing here\n"), .compatible)
        XCTAssertEqual(DracutRelease.compatible.flavour, .dracut059)
    }
}
