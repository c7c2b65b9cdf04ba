/// Orders listing lines exactly as lsinitrd's `sort -k9` (by name) and `sort -n -k5` (by size)
/// do in the C locale, quirks included: fields are split at blanks, so on device lines, whose
/// size column holds "major, minor", the name key starts at the time column instead.
enum ListingOrder {
    case byName
    case bySize

    func sorted(_ lines: [[UInt8]]) -> [[UInt8]] {
        switch self {
        case .byName:
            return lines.sorted { compare($0, $1, key: { ListingOrder.field(9, of: $0) }) }
        case .bySize:
            return lines.sorted { left, right in
                let leftSize = ListingOrder.leadingNumber(ListingOrder.field(5, of: left))
                let rightSize = ListingOrder.leadingNumber(ListingOrder.field(5, of: right))
                if leftSize != rightSize { return leftSize < rightSize }
                return left.lexicographicallyPrecedes(right)
            }
        }
    }

    /// Compares keys byte-wise; like sort, falls back to the whole line when keys tie.
    private func compare(_ left: [UInt8], _ right: [UInt8], key: ([UInt8]) -> ArraySlice<UInt8>) -> Bool {
        let leftKey = key(left), rightKey = key(right)
        if leftKey != rightKey { return leftKey.lexicographicallyPrecedes(rightKey) }
        return left.lexicographicallyPrecedes(right)
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    /// Field `number` (from 1) to the end of the line, with its leading blanks as sort keeps them.
    static func field(_ number: Int, of line: [UInt8]) -> ArraySlice<UInt8> {
        var index = 0
        for _ in 1..<number {
            while index < line.count && isBlank(line[index]) { index += 1 }
            while index < line.count && !isBlank(line[index]) { index += 1 }
        }
        return line[index...]
    }

    /// The number a key starts with after blanks (what `sort -n` compares); 0 when there is none.
    static func leadingNumber(_ key: ArraySlice<UInt8>) -> UInt64 {
        var value: UInt64 = 0
        for byte in key.drop(while: isBlank) {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { break }
            let (product, overflow) = value.multipliedReportingOverflow(by: 10)
            value = overflow ? .max : product &+ UInt64(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
