import XCTest

@testable import Support

final class SuggestionTests: XCTestCase {
    func testASlipFindsTheNameMeant() {
        XCTAssertEqual(nearestName(to: "bahs", among: ["base", "bash", "busybox"]), "bash", "two letters swapped")
        XCTAssertEqual(nearestName(to: "kvr", among: ["kver", "kmoddir", "keep"]), "kver", "a letter left out")
        XCTAssertEqual(nearestName(to: "zsdt", among: ["zstd", "xz", "gzip"]), "zstd")
        XCTAssertEqual(nearestName(to: "hostonyl-mode", among: ["hostonly-mode", "hostonly"]), "hostonly-mode")
    }

    func testNothingIsSuggestedForAWordFarFromEveryName() {
        XCTAssertNil(nearestName(to: "frobnicate", among: ["force", "fstab", "fwdir"]))
        XCTAssertNil(nearestName(to: "xyz", among: ["kver", "bash"]))
        XCTAssertNil(nearestName(to: "", among: ["a", "bb"]), "an empty word means nothing")
    }

    func testATieSuggestsNothing() {
        XCTAssertNil(nearestName(to: "bat", among: ["bar", "baz"]))
    }

    func testTheDistanceCountsASwapAsOneEdit() {
        XCTAssertEqual(editDistance(Array("ab".unicodeScalars), Array("ba".unicodeScalars)), 1)
        XCTAssertEqual(editDistance(Array("kitten".unicodeScalars), Array("sitting".unicodeScalars)), 3)
        XCTAssertEqual(editDistance(Array("".unicodeScalars), Array("abc".unicodeScalars)), 3)
    }
}
