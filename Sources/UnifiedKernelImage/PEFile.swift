#if canImport(Glibc)
import Glibc
#endif

/// A PE file on disk read piecemeal: its headers from the first 64 KiB, then only the sections
/// asked for, so a kernel or a UKI of many megabytes is never read whole.
public final class PEFile {
    public let path: String
    public let image: PEImage
    private let descriptor: Int32

    /// The most the headers and section table may take.
    static let headerLimit = 64 * 1024

    /// Nil when the file cannot be opened or is not a PE image.
    public init?(path: String) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        var status = stat()
        var head = [UInt8](repeating: 0, count: Self.headerLimit)
        let count = head.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard fstat(descriptor, &status) == 0, count > 0,
            let image = try? PEImage(bytes: Array(head[0..<count]), fileSize: Int(status.st_size))
        else {
            close(descriptor)
            return nil
        }
        self.path = path
        self.image = image
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// The first `limit` bytes of the section's contents; nil when they cannot all be read.
    public func contents(of section: PESection, limit: Int = .max) -> [UInt8]? {
        let (offset, length) = image.extent(of: section)
        var bytes = [UInt8](repeating: 0, count: min(length, limit))
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(offset)) }
        return count == bytes.count ? bytes : nil
    }

    /// The section's contents in pieces of at most `chunkSize` bytes, in order, for copying out
    /// large sections; false when a read fails or `body` returns false.
    public func forEachChunk(
        of section: PESection, chunkSize: Int = 1 << 20, _ body: (UnsafeBufferPointer<UInt8>) -> Bool
    ) -> Bool {
        let (offset, length) = image.extent(of: section)
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        var done = 0
        while done < length {
            let count = buffer.withUnsafeMutableBytes {
                pread(descriptor, $0.baseAddress, min($0.count, length - done), off_t(offset + done))
            }
            guard count > 0, buffer.withUnsafeBufferPointer({ body(UnsafeBufferPointer(rebasing: $0[0..<count])) })
            else { return false }
            done += count
        }
        return true
    }
}
