/// The known name nearest to a mistyped one, for "did you mean ...?": the fewest single-character
/// edits (insert, delete, replace, swap two neighbours), and only when few enough that the word
/// is plainly a slip: one edit for words of up to four characters, two for longer ones. Nil when
/// no name is that close, or when two names are equally close.
public func nearestName(to word: String, among names: some Sequence<String>) -> String? {
    guard !word.isEmpty else { return nil }
    let limit = word.count <= 4 ? 1 : 2
    var best: (name: String, distance: Int)?
    var tied = false
    for name in Set(names) where name != word {
        let distance = editDistance(Array(word.unicodeScalars), Array(name.unicodeScalars))
        guard distance <= limit else { continue }
        if let current = best, distance >= current.distance {
            if distance == current.distance { tied = true }
            continue
        }
        best = (name, distance)
        tied = false
    }
    return tied ? nil : best?.name
}

/// Optimal string alignment distance: Levenshtein's, with a swap of two neighbours as one edit.
func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var before = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                current[j] = min(current[j], before[j - 2] + 1)
            }
        }
        (before, previous, current) = (previous, current, before)
    }
    return previous[b.count]
}
