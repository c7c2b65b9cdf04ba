#if canImport(Glibc)
import Glibc
#endif

/// Splits a byte stream into lines in linear time: each byte is looked at once, whatever the
/// sizes of the chunks it arrives in. A line longer than `maximumLineLength` keeps its first
/// `maximumLineLength` bytes, with a note of how many were dropped, so one huge line printed by
/// a module cannot take the engine's memory.
struct LineSplitter {
    static let defaultMaximumLineLength = 64 * 1024

    let maximumLineLength: Int
    /// The start of the line being collected (bytes of the last chunk not yet a line).
    private var pending: [UInt8] = []
    /// Bytes of the current line dropped past the limit.
    private var dropped = 0
    /// Every byte examined so far, for the tests that prove the work is linear.
    private(set) var bytesScanned = 0

    init(maximumLineLength: Int = LineSplitter.defaultMaximumLineLength) {
        self.maximumLineLength = max(maximumLineLength, 1)
    }

    /// Feeds a chunk; `body` gets each line it completes, without its newline.
    mutating func append(_ chunk: UnsafeBufferPointer<UInt8>, _ body: (String) -> Void) {
        guard let base = chunk.baseAddress else { return }
        var lineStart = 0
        while lineStart < chunk.count {
            let rest = chunk.count - lineStart
            guard let found = memchr(base + lineStart, 10, rest) else {
                bytesScanned += rest
                keep(UnsafeBufferPointer(rebasing: chunk[lineStart...]))
                return
            }
            let newline = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            bytesScanned += newline - lineStart + 1
            keep(UnsafeBufferPointer(rebasing: chunk[lineStart..<newline]))
            body(takeLine())
            lineStart = newline + 1
        }
    }

    mutating func append(_ bytes: [UInt8], _ body: (String) -> Void) {
        bytes.withUnsafeBufferPointer { append($0, body) }
    }

    /// What is left without a final newline, as a last line; nil when nothing is.
    mutating func finish() -> String? {
        pending.isEmpty && dropped == 0 ? nil : takeLine()
    }

    private mutating func keep(_ bytes: UnsafeBufferPointer<UInt8>) {
        let room = maximumLineLength - pending.count
        if bytes.count <= room {
            pending.append(contentsOf: bytes)
        } else {
            pending.append(contentsOf: bytes.prefix(room))
            dropped += bytes.count - room
        }
    }

    private mutating func takeLine() -> String {
        var line = String(decoding: pending, as: UTF8.self)
        if dropped > 0 { line += " [kindling: \(dropped) more bytes of this line not kept]" }
        pending.removeAll(keepingCapacity: pending.count <= 65536)
        dropped = 0
        return line
    }
}
