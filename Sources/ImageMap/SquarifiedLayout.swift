/// A rectangle of the map, in SVG user units (y grows downwards).
public struct MapRect: Equatable, Sendable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var area: Double { width * height }
    public var maxX: Double { x + width }
    public var maxY: Double { y + height }

    /// The rectangle shrunk by `top` at the top and `side` on every other edge; nil when nothing is left.
    func inset(top: Double, side: Double) -> MapRect? {
        let inner = MapRect(x: x + side, y: y + top, width: width - 2 * side, height: height - top - side)
        return inner.width > 0 && inner.height > 0 ? inner : nil
    }
}

/// The squarified treemap of Bruls, Huizing and van Wijk (2000): the rectangle is cut into one
/// rectangle per weight, each with the weight's share of the area, laid out in rows along the
/// shorter free side; a row takes the next (largest remaining) weight only while that does not make
/// its worst aspect ratio worse. Squarish boxes are easier to compare and to label than the slivers
/// of a plain slice-and-dice layout.
public enum SquarifiedLayout {
    /// One rectangle per weight, in the order of `weights`, tiling `bounds` without overlap.
    /// A weight that is not positive gets an empty rectangle at the corner of `bounds`.
    public static func rectangles(for weights: [Double], in bounds: MapRect) -> [MapRect] {
        let empty = MapRect(x: bounds.x, y: bounds.y, width: 0, height: 0)
        var result = Array(repeating: empty, count: weights.count)
        let total = weights.filter { $0 > 0 }.reduce(0, +)
        guard total > 0, bounds.area > 0 else { return result }
        // Largest first, ties in their given order, so that the same input always gives the same map.
        let order = weights.indices.filter { weights[$0] > 0 }.sorted { (weights[$1], $0) < (weights[$0], $1) }
        let areas = order.map { weights[$0] / total * bounds.area }

        var free = bounds
        var start = 0
        while start < areas.count {
            let side = min(free.width, free.height)
            var end = start + 1
            while end < areas.count && worstRatio(areas[start...end], side: side) <= worstRatio(areas[start..<end], side: side) {
                end += 1
            }
            let isLast = end == areas.count
            for (offset, rectangle) in place(areas[start..<end], in: &free, fillsRest: isLast).enumerated() {
                result[order[start + offset]] = rectangle
            }
            start = end
        }
        return result
    }

    /// The worst (largest) aspect ratio, at least 1, of a row of `areas` laid along `side`.
    /// The areas are sorted largest first, so the extremes are the row's ends.
    static func worstRatio(_ areas: ArraySlice<Double>, side: Double) -> Double {
        guard let largest = areas.first, let smallest = areas.last else { return .infinity }
        let sum = areas.reduce(0, +)
        let sideSquared = side * side
        return max(sideSquared * largest / (sum * sum), (sum * sum) / (sideSquared * smallest))
    }

    /// Lays a row of `areas` along the shorter side of `free` (a column at the left of a wide
    /// rectangle, a row at the top of a tall one) and takes its strip off `free`. The last row gets
    /// all that is left, so rounding never leaves a gap at the far edge.
    private static func place(_ areas: ArraySlice<Double>, in free: inout MapRect, fillsRest: Bool) -> [MapRect] {
        let rowArea = areas.reduce(0, +)
        var placed: [MapRect] = []
        if free.width >= free.height {
            let thickness = fillsRest ? free.width : min(free.width, rowArea / free.height)
            var y = free.y
            for (index, area) in zip(areas.indices, areas) {
                let height = index == areas.indices.last ? free.maxY - y : area / thickness
                placed.append(MapRect(x: free.x, y: y, width: thickness, height: height))
                y += height
            }
            free = MapRect(x: free.x + thickness, y: free.y, width: free.width - thickness, height: free.height)
        } else {
            let thickness = fillsRest ? free.height : min(free.height, rowArea / free.width)
            var x = free.x
            for (index, area) in zip(areas.indices, areas) {
                let width = index == areas.indices.last ? free.maxX - x : area / thickness
                placed.append(MapRect(x: x, y: free.y, width: width, height: thickness))
                x += width
            }
            free = MapRect(x: free.x, y: free.y + thickness, width: free.width, height: free.height - thickness)
        }
        return placed
    }
}
