import XCTest
@testable import ImageMap

final class SquarifiedLayoutTests: XCTestCase {
    private let bounds = MapRect(x: 10, y: 20, width: 600, height: 400)

    /// Weight sets that stress the layout: one box, equal boxes, a long tail, extreme ratios, and
    /// pseudo-random sizes like an image's files.
    private var weightSets: [[Double]] {
        var generator = SplitMix(seed: 20)
        let random = (0..<300).map { _ in Double(generator.next() % 100_000 + 1) }
        return [
            [42],
            [1, 1, 1, 1],
            [6, 6, 4, 3, 2, 2, 1],
            [1_000_000, 1, 1, 1, 2, 3],
            (1...50).map { 1 / Double($0) },
            random,
        ]
    }

    func testEachRectangleHasItsWeightsShareOfTheArea() {
        for weights in weightSets {
            let rectangles = SquarifiedLayout.rectangles(for: weights, in: bounds)
            let total = weights.reduce(0, +)
            XCTAssertEqual(rectangles.count, weights.count)
            for (weight, rectangle) in zip(weights, rectangles) {
                XCTAssertEqual(rectangle.area, weight / total * bounds.area, accuracy: bounds.area * 1e-9, "weights \(weights.prefix(8))")
            }
        }
    }

    func testRectanglesStayInsideTheirBounds() {
        for weights in weightSets {
            for rectangle in SquarifiedLayout.rectangles(for: weights, in: bounds) {
                XCTAssertTrue(contains(bounds, rectangle), "\(rectangle) is outside \(bounds)")
                XCTAssertGreaterThanOrEqual(rectangle.width, 0)
                XCTAssertGreaterThanOrEqual(rectangle.height, 0)
            }
        }
    }

    func testRectanglesNeitherOverlapNorLeaveGaps() {
        for weights in weightSets {
            let rectangles = SquarifiedLayout.rectangles(for: weights, in: bounds)
            for first in rectangles.indices {
                for second in rectangles.indices where second > first {
                    XCTAssertLessThanOrEqual(
                        overlap(rectangles[first], rectangles[second]), 1e-6, "\(rectangles[first]) overlaps \(rectangles[second])")
                }
            }
            // No overlap and every area right: then the rectangles cover the bounds.
            XCTAssertEqual(rectangles.reduce(0) { $0 + $1.area }, bounds.area, accuracy: 1e-6)
        }
    }

    /// The point of squarifying: equal weights in a square are squares, and the classic example
    /// (Bruls et al., areas 6 6 4 3 2 2 1 in a 6 by 4 rectangle) has no box longer than 3:1, where
    /// slicing the long side would make slivers of 24:1.
    func testBoxesAreCloseToSquares() {
        let square = MapRect(x: 0, y: 0, width: 100, height: 100)
        for rectangle in SquarifiedLayout.rectangles(for: [1, 1, 1, 1], in: square) {
            XCTAssertEqual(rectangle.width, 50, accuracy: 1e-9)
            XCTAssertEqual(rectangle.height, 50, accuracy: 1e-9)
        }
        let example = SquarifiedLayout.rectangles(for: [6, 6, 4, 3, 2, 2, 1], in: MapRect(x: 0, y: 0, width: 6, height: 4))
        for rectangle in example {
            XCTAssertLessThanOrEqual(max(rectangle.width / rectangle.height, rectangle.height / rectangle.width), 3, "\(rectangle)")
        }
        XCTAssertEqual(example[0], MapRect(x: 0, y: 0, width: 3, height: 2))
        XCTAssertEqual(example[1], MapRect(x: 0, y: 2, width: 3, height: 2))
    }

    func testTheLargestWeightTakesTheFirstCornerWhateverItsPlaceInTheList() {
        let rectangles = SquarifiedLayout.rectangles(for: [1, 5, 2], in: bounds)
        XCTAssertEqual(rectangles[1].x, bounds.x)
        XCTAssertEqual(rectangles[1].y, bounds.y)
        XCTAssertGreaterThan(rectangles[1].area, rectangles[2].area)
        XCTAssertGreaterThan(rectangles[2].area, rectangles[0].area)
    }

    func testWeightsWithoutAreaGetEmptyRectangles() {
        let rectangles = SquarifiedLayout.rectangles(for: [0, 3, -1, 1], in: bounds)
        XCTAssertEqual(rectangles[0].area, 0)
        XCTAssertEqual(rectangles[2].area, 0)
        XCTAssertEqual(rectangles[1].area + rectangles[3].area, bounds.area, accuracy: 1e-6)
        XCTAssertEqual(SquarifiedLayout.rectangles(for: [0, 0], in: bounds).map(\.area), [0, 0])
        XCTAssertEqual(SquarifiedLayout.rectangles(for: [], in: bounds), [])
    }

    private func contains(_ outer: MapRect, _ inner: MapRect) -> Bool {
        let slack = 1e-9 * max(outer.width, outer.height)
        return inner.x >= outer.x - slack && inner.y >= outer.y - slack && inner.maxX <= outer.maxX + slack
            && inner.maxY <= outer.maxY + slack
    }

    private func overlap(_ first: MapRect, _ second: MapRect) -> Double {
        let width = min(first.maxX, second.maxX) - max(first.x, second.x)
        let height = min(first.maxY, second.maxY) - max(first.y, second.y)
        return width > 0 && height > 0 ? width * height : 0
    }
}

/// A small seeded generator, so that the "random" sizes are the same on every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
