// ArchiveExtractor (kindling-lsinitrd --unpack) on hostile archives: whatever the members say,
// nothing may be created outside the destination. The destination sits alone in a fenced
// directory; after each input the fence must hold only it.
//
// Device nodes, FIFOs and sockets are not handed to the extractor: as root it would create real
// device nodes on this machine, and a FIFO can block an open forever. Their member headers are
// still read, and their names still take part in the path handling.
import FuzzKit
import Support
#if canImport(Glibc)
import Glibc
#endif

private func entryNames(_ path: String) -> [String] { directoryEntries(path) ?? [] }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArchiveExtractor(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let fence = Scratch.emptyDirectory("fence")
    let destination = fence + "/root"
    guard mkdir(destination, 0o700) == 0 else { fuzzFailure("cannot create \(destination)") }
    extractHostileArchive(Array(UnsafeBufferPointer(start: data, count: size)), into: destination) { member in
        switch member.fileType {
        case .characterDevice, .blockDevice, .fifo, .socket: return true
        default: return false
        }
    }
    // `..` and relative symlink targets climb into the fence and the scratch directory above it.
    let escaped = entryNames(fence).filter { $0 != "root" } + entryNames(Scratch.directory).filter { $0 != "fence" }
    fuzzCheck(escaped.isEmpty, "the archive wrote outside the destination: \(escaped)")
    var status = stat()
    fuzzCheck(
        lstat(destination, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR,
        "the destination itself was replaced")
    return 0
}
