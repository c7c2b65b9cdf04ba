// A newc cpio stream as kindling-lsinitrd reads it from an image: every member's header, name,
// symlink target and data, with the listing line each gets. The source hands the bytes over in
// chunks of a size taken from the input, so InputBuffer's refills and slides are exercised.
@testable import Archive
import FuzzKit

/// Serves a byte array in chunks of at most `chunkSize` bytes.
final class ChunkedSource: ByteSource {
    private let bytes: [UInt8]
    private let chunkSize: Int
    private var offset = 0

    init(_ bytes: [UInt8], chunkSize: Int) {
        self.bytes = bytes
        self.chunkSize = max(1, chunkSize)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, chunkSize, bytes.count - offset)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }
}

nonisolated(unsafe) private let formatter = ListingFormatter(now: 1_700_000_000)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCpioReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let chunkSize = input.int(in: 1...4096)
    // The smallest buffer CpioReader can work with holds its longest name; readers made by
    // ImageReader get the default 256 KiB.
    let capacity = input.bool() ? Int(CpioReader.maximumNameSize) : 256 * 1024
    let archive = input.rest()
    let reader = CpioReader(
        input: InputBuffer(
            ChunkedSource(archive, chunkSize: chunkSize),
            streamName: "fuzz input", capacity: capacity))
    var memberCount = 0
    do {
        while let member = try reader.nextMember() {
            memberCount += 1
            fuzzCheck(memberCount * NewcHeader.size <= archive.count, "more members than the input has headers")
            _ = formatter.line(for: member)
            if member.fileType == .symlink {
                fuzzCheck(member.symlinkTarget?.bytes.count == Int(member.size), "symlink target is not the member's data")
            } else {
                // Alternate between reading the data and letting nextMember() skip it.
                if memberCount % 2 == 0 {
                    let bytes = try reader.readData()
                    fuzzCheck(UInt64(bytes.count) == member.size, "read \(bytes.count) bytes of a \(member.size)-byte member")
                }
            }
        }
        fuzzCheck(reader.isFinished, "nextMember() returned nil before the trailer")
        let holds = try reader.nextMember() == nil
        fuzzCheck(holds, "a member after the trailer")
    } catch is ArchiveError {
        // Malformed input must end in an ArchiveError, never in a trap.
    } catch {
        fuzzFailure("unexpected error type: \(error)")
    }
    return 0
}
