import XCTest
@testable import Support

final class ParallelMapTests: XCTestCase {
    /// Workers store their results at the same time; each result lands in its own slot. (Stored
    /// through an array property, this trapped now and then in debug builds: two threads in a
    /// modifying access to the same property.)
    func testEveryResultLandsInItsSlotUnderContention() {
        let items = Array(0..<20_000)
        for _ in 0..<20 {
            XCTAssertEqual(ParallelMap.map(items) { $0 * 2 + 1 }, items.map { $0 * 2 + 1 })
        }
    }
}
