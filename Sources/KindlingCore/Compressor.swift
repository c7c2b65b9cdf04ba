import Archive

/// The image's compression, from dracut's `compress` value: a name or a full command line.
enum Compressor {
    case gzip(level: Int)
    case none

    init(_ setting: String) throws {
        let words = setting.split(separator: " ").map(String.init)
        switch words.first ?? "" {
        case "", "gzip", "pigz":
            let level = words.dropFirst().compactMap { word -> Int? in
                guard word.count == 2, word.hasPrefix("-"), let digit = Int(word.dropFirst()) else { return nil }
                return digit
            }.last
            self = .gzip(level: level ?? 9)
        case "cat":
            self = .none
        case let other:
            throw BuildFailure("compressor '\(other)' is not supported yet (use gzip or --no-compress)")
        }
    }

    func sink(writingTo file: ByteSink) throws -> ByteSink {
        switch self {
        case .gzip(let level): return try GzipSink(level: level, forwardingTo: file)
        case .none: return file
        }
    }
}
