/// The colours of the map. Each top-level box has its own hue, and everything inside it keeps
/// that hue, lighter or darker: a reader (or a test reading a screenshot's pixels) tells a
/// module's area by its hue alone. Hues step by the golden angle, so that boxes that come one
/// after another, and so lie side by side, get far-apart hues however many there are.
struct MapPalette {
    /// The hue of the top-level box at `index` (largest first), in degrees.
    static func hue(ofTopLevelBoxAt index: Int) -> Double {
        (Double(index) * 137.507_764).truncatingRemainder(dividingBy: 360)
    }

    /// The header strip of a top-level box, dark enough for white text.
    static func groupFill(hue: Double) -> String { hex(hue: hue, saturation: 0.6, lightness: 0.36) }

    /// A directory's frame and header, light enough for black text.
    static func directoryFill(hue: Double) -> String { hex(hue: hue, saturation: 0.55, lightness: 0.55) }

    /// Files alternate between three lightnesses so that neighbours stand apart.
    static func fileFill(hue: Double, index: Int) -> String {
        hex(hue: hue, saturation: 0.65, lightness: [0.7, 0.78, 0.64][index % 3])
    }

    /// The outline of a directory or file: the same hue, darker.
    static func outline(hue: Double) -> String { hex(hue: hue, saturation: 0.5, lightness: 0.28) }

    /// `#rrggbb` for a colour given as hue (degrees), saturation and lightness (0...1): plain
    /// hexadecimal, which every SVG renderer reads.
    static func hex(hue: Double, saturation: Double, lightness: Double) -> String {
        let chroma = (1 - abs(2 * lightness - 1)) * saturation
        let sector = hue / 60
        let second = chroma * (1 - abs(sector.truncatingRemainder(dividingBy: 2) - 1))
        let (red, green, blue): (Double, Double, Double)
        switch sector {
        case ..<1: (red, green, blue) = (chroma, second, 0)
        case ..<2: (red, green, blue) = (second, chroma, 0)
        case ..<3: (red, green, blue) = (0, chroma, second)
        case ..<4: (red, green, blue) = (0, second, chroma)
        case ..<5: (red, green, blue) = (second, 0, chroma)
        default: (red, green, blue) = (chroma, 0, second)
        }
        let lift = lightness - chroma / 2
        return "#"
            + [red, green, blue].map { channel in
                let value = Int(((channel + lift) * 255).rounded())
                let digits = String(min(max(value, 0), 255), radix: 16)
                return digits.count == 1 ? "0" + digits : digits
            }.joined()
    }
}

/// Numbers as the map writes them.
enum MapNumber {
    /// A coordinate with at most two decimals, without Foundation's formatters.
    static func coordinate(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let sign = hundredths < 0 ? "-" : ""
        let magnitude = abs(hundredths)
        let fraction = magnitude % 100
        if fraction == 0 { return sign + String(magnitude / 100) }
        let decimals = fraction % 10 == 0 ? String(fraction / 10) : (fraction < 10 ? "0" : "") + String(fraction)
        return sign + String(magnitude / 100) + "." + decimals
    }

    /// `1234567` as "1,234,567".
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { result += "," }
            result.append(digit)
        }
        return (value < 0 ? "-" : "") + result
    }

    /// "1 file", "2 files".
    static func counted(_ count: Int, _ noun: String) -> String { count == 1 ? "1 \(noun)" : "\(count) \(noun)s" }

    /// A size for people: "512 B", "43.0 KiB", "12.3 MiB".
    static func bytes(_ value: Int) -> String {
        var unit = 0
        var scaled = Double(value)
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        while scaled >= 1024 && unit < units.count - 1 {
            scaled /= 1024
            unit += 1
        }
        if unit == 0 { return "\(value) B" }
        let tenths = Int((scaled * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}
