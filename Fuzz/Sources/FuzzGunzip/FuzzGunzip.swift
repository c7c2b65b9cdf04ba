// GunzipSource on arbitrary bytes: zlib's answers mapped to errors, concatenated members, and the
// promise to stop exactly where the compressed stream ends, so what follows stays unread.
@testable import Archive
import FuzzKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGunzip(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let readSize = input.int(in: 1...70_000)
    let compressed = input.rest()
    let buffer = InputBuffer(MemorySource(compressed), streamName: "fuzz input")
    var produced = 0
    do {
        let source = try GunzipSource(input: buffer)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: readSize, alignment: 1)
        defer { chunk.deallocate() }
        while true {
            let count = try source.read(into: chunk)
            fuzzCheck(count >= 0 && count <= readSize, "read returned \(count) for a \(readSize)-byte buffer")
            if count == 0 { break }
            produced += count
            // deflate expands at most 1032:1; anything more is reading bytes that are not there.
            fuzzCheck(produced <= 1032 * compressed.count + 1032, "\(produced) bytes out of \(compressed.count)")
        }
        let holds = try source.read(into: chunk) == 0
        fuzzCheck(holds, "data after the end of the stream")
        fuzzCheck(buffer.position <= UInt64(compressed.count), "consumed more than the input")
    } catch is ArchiveError {
    } catch {
        fuzzFailure("unexpected error type: \(error)")
    }
    return 0
}
