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
}
