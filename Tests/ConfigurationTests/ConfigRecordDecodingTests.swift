import Foundation
import Support
import XCTest
@testable import Configuration

/// The records the config-reading bash prints back, decoded; the broken inputs were found by the
/// fuzzer (Fuzz/Regressions/FuzzConfigRecords).
final class ConfigRecordDecodingTests: XCTestCase {
    private func record(_ fields: [String]) -> [UInt8] { fields.flatMap { Array($0.utf8) + [0] } }

    func testScalarsArraysAndMapsDecode() throws {
        let variables = try ConfigEvaluator.decode(record(["S", "a", "x y", "A", "l", "2", "p", "q", "H", "m", "1", "k", "v"]))
        XCTAssertEqual(variables["a"], "x y")
        XCTAssertEqual(variables.elements("l"), ["p", "q"])
    }

    func testNegativeAndHugeCountsAreErrorsNotTraps() {
        for fields in [["A", "x", "-1"], ["H", "x", "-3"], ["A", "x", "999999999999"], ["A", "x", "3", "only"]] {
            XCTAssertThrowsError(try ConfigEvaluator.decode(record(fields)), "\(fields)") { error in
                XCTAssertTrue("\(error)".hasPrefix("configuration reader:"), "\(error)")
            }
        }
    }

    /// A value that is not UTF-8 (a Latin-1 file name in install_items) keeps its bytes: it was
    /// turned into U+FFFD, which names another file, and the file was not installed.
    func testValuesThatAreNotUTF8KeepTheirBytes() throws {
        let latin1: [UInt8] = Array(" /tmp/x/caf".utf8) + [0xE9, 0x20]
        let bytes = Array("S\0install_items\0".utf8) + latin1 + [0] + Array("A\0fscks\01\0".utf8) + [0xFF, 0]
        let variables = try ConfigEvaluator.decode(bytes)
        XCTAssertEqual(PathBytes.bytes(variables["install_items"] ?? ""), latin1)
        XCTAssertEqual(variables.words("install_items").map(PathBytes.bytes), [Array("/tmp/x/caf".utf8) + [0xE9]])
        XCTAssertEqual(variables.elements("fscks").map(PathBytes.bytes), [[0xFF]])
    }

    /// End to end: a config file sourced by bash gives back the bytes it set.
    func testAConfigFileWithLatin1BytesKeepsThem() throws {
        let file = NSTemporaryDirectory() + "kindling-latin1-\(getpid()).conf"
        let line = Array("install_items+=\" /tmp/x/caf".utf8) + [0xE9] + Array(" \"\nfw_dir=/lib/fw".utf8) + [0xFF] + [0x0A]
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data(line)))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let variables = try ConfigEvaluator().evaluate(files: [file], presets: ShellVariables(), logger: Logger(level: .fatal))
        XCTAssertEqual(variables.words("install_items").map(PathBytes.bytes), [Array("/tmp/x/caf".utf8) + [0xE9]])
        XCTAssertEqual(PathBytes.bytes(variables["fw_dir"] ?? ""), Array("/lib/fw".utf8) + [0xFF])
    }
}
