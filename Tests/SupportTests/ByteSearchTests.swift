import Foundation
import XCTest

@testable import Support

final class ByteSearchTests: XCTestCase {
    /// For ASCII needles the byte search answers as `contains` does, on Strings and Substrings,
    /// contiguous or not.
    func testByteSearchAgreesWithContains() {
        let texts = ["", "a", "initqueue", "x initqueue y", "initqueu", "RUN+=\"/bin/x\"", "é$env{X}", "lib/modules/x.ko"]
        let needles = ["a", "initqueue", "$env{", "lib/modules/", "RUN", "é"]
        for text in texts {
            for needle in needles {
                XCTAssertEqual(text.containsBytes(of: needle), text.contains(needle), "\(text) / \(needle)")
                let slice = ("#" + text + "#").dropFirst().dropLast()
                XCTAssertEqual(slice.containsBytes(of: needle), slice.contains(needle), "\(slice) / \(needle)")
            }
        }
        let bridged = NSString(string: "a bridged initqueue text") as String
        XCTAssertTrue(bridged.containsBytes(of: "initqueue"))
        XCTAssertFalse(bridged.containsBytes(of: "initqueues"))
    }
}
