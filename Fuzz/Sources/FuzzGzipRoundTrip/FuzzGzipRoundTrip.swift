// Both gzip writers against the reader: GzipSink and ParallelGzipSink (libdeflate blocks joined
// into one deflate stream) must decompress to their input, also when the input arrives in odd
// pieces; and the parallel output must not depend on the thread count, as its documentation says.
// Block sizes down to 1 byte put a joint (final mark cleared, empty stored block) at every bit
// position the input's compressed form can end on.
@testable import Archive
import FuzzKit

private func compress(_ pieces: [[UInt8]], into sink: any ByteSink) throws {
    for piece in pieces { try piece.withUnsafeBytes { try sink.write($0) } }
    try sink.finish()
}

private func decompress(_ bytes: [UInt8]) throws -> [UInt8] {
    let buffer = InputBuffer(MemorySource(bytes), streamName: "round trip")
    let source = try GunzipSource(input: buffer)
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 8192)
    while true {
        let count = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
        if count == 0 { break }
        output += chunk[0..<count]
    }
    fuzzCheck(buffer.position == UInt64(bytes.count), "the reader stopped at \(buffer.position) of \(bytes.count) bytes")
    return output
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGzipRoundTrip(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let level = input.int(in: 0...9)
    let blockSize = input.int(in: 1...40_000)
    // The payload is cut where the input says, and may be repeated to cross the 32 KiB window.
    let repeats = input.int(in: 1...4)
    let cuts = (0..<input.int(in: 0...4)).map { _ in input.int(in: 0...65_535) }
    let payloadOnce = input.rest()
    let payload = Array([[UInt8]](repeating: payloadOnce, count: repeats).joined())
    var pieces: [[UInt8]] = []
    var start = 0
    for cut in cuts.sorted() where cut > start && cut < payload.count {
        pieces.append(Array(payload[start..<cut]))
        start = cut
    }
    pieces.append(Array(payload[start...]))

    do {
        let serial = MemorySink()
        try compress(pieces, into: try GzipSink(level: level, forwardingTo: serial, outputChunkSize: 64 + blockSize % 4096))
        let serialHolds = try decompress(serial.bytes) == payload
        fuzzCheck(serialHolds, "GzipSink output does not decompress to its input")

        let oneThread = MemorySink()
        try compress(pieces, into: try ParallelGzipSink(level: level, threadCount: 1, blockSize: blockSize, forwardingTo: oneThread))
        let holds = try decompress(oneThread.bytes) == payload
        fuzzCheck(holds, "ParallelGzipSink output does not decompress to its input")

        let threeThreads = MemorySink()
        try compress(pieces, into: try ParallelGzipSink(level: level, threadCount: 3, blockSize: blockSize, forwardingTo: threeThreads))
        fuzzCheck(threeThreads.bytes == oneThread.bytes, "ParallelGzipSink output depends on the thread count")
    } catch {
        fuzzFailure("round trip failed: \(error)")
    }
    return 0
}
