// A whole initramfs image file through ImageReader, as kindling-lsinitrd opens one: segments of
// plain and gzip-compressed newc archives with zero padding between them, every member listed and
// its data read. Other compressions would start xz, zstd and the rest; with no tools on PATH
// they fail at once, which tests that error path instead of the tools.
@testable import Archive
import FuzzKit

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>)
    -> Int32
{
    hideExternalTools()
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInitramfsImage(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let path = Scratch.write(Array(UnsafeBufferPointer(start: data, count: size)), to: "image.img")
    do {
        let image = try ImageReader(path: path)
        var lastIndex = -1
        var archives = 0
        while let archive = try image.nextArchive() {
            archives += 1
            fuzzCheck(archive.index == lastIndex + 1, "archive indexes are not consecutive")
            fuzzCheck(archive.segmentOffset < UInt64(size), "segment offset \(archive.segmentOffset) beyond the file")
            lastIndex = archive.index
            var members = 0
            while let member = try archive.reader.nextMember() {
                members += 1
                if members % 3 == 0 { _ = try archive.reader.readData() }
                _ = member
            }
            fuzzCheck(archives <= size / 6, "more archives than the file has magic numbers")
        }
        let holds = try image.nextArchive() == nil
        fuzzCheck(holds, "an archive after the end")
    } catch is ArchiveError {
    } catch {
        fuzzFailure("unexpected error type: \(error)")
    }
    return 0
}
