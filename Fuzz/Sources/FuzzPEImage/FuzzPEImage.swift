// PEImage, the reader of a UEFI stub's or a UKI's headers (kindling --uefi reads the stub,
// kindling-lsinitrd any file that starts with MZ), and UnifiedKernelImageWriter over what it
// accepts. Offsets and counts come from the file: a bad one is an error, never a trap or a read
// outside the bytes.
#if canImport(Glibc)
import Glibc
#endif
@testable import UnifiedKernelImage
import FuzzKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPEImage(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let image = try? PEImage(bytes: bytes) else { return 0 }
    for section in image.sections {
        let (offset, length) = image.extent(of: section)
        fuzzCheck(offset + length <= bytes.count, "\(section.name) ends at \(offset + length), past \(bytes.count)")
        fuzzCheck(image.contents(of: section)?.count == length, "\(section.name)'s contents are not its extent")
    }
    // As headers only (lsinitrd reads the first 64 KiB of a larger file): no section's contents
    // are claimed past what was read.
    if let head = try? PEImage(bytes: Array(bytes.prefix(bytes.count / 2)), fileSize: bytes.count) {
        for section in head.sections where head.contents(of: section) != nil {
            let (offset, length) = head.extent(of: section)
            fuzzCheck(offset + length <= bytes.count / 2, "\(section.name)'s contents read past the bytes given")
        }
    }
    let added = [AddedSection(name: ".cmdline", contents: .bytes([0x20, 0])), AddedSection(name: ".initrd", contents: .bytes([1, 2, 3]))]
    let writer = UnifiedKernelImageWriter(stub: image, sections: added, replacing: [".sbat"])
    guard let table = try? writer.layout(sizes: [2, 3]) else { return 0 }
    fuzzCheck(Array(table.suffix(2).map(\.name)) == [".cmdline", ".initrd"], "the added sections are not last")
    let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
    defer { close(null) }
    do { try writer.write(to: null) } catch { fuzzCheck(false, "a layout that was accepted failed to write: \(error)") }
    return 0
}
