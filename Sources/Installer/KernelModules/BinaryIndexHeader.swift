#if canImport(Glibc)
import Glibc
#endif
import Support

/// The header of a depmod binary index (modules.dep.bin and friends). libkmod maps these files
/// and trusts their offsets, so a file with a bad header is refused here, with a clear error,
/// before libkmod reads it.
enum BinaryIndexHeader {
    static let magic: UInt32 = 0xB007_F457
    static let majorVersion: UInt32 = 2

    /// Magic, major version, and a root node offset inside the file.
    static func check(_ path: String) throws(KernelModuleError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .corruptIndex(path: path, message: systemErrorDescription()) }
        defer { close(fd) }
        var status = stat()
        var header = [UInt8](repeating: 0, count: 12)
        guard fstat(fd, &status) == 0, read(fd, &header, header.count) == header.count else {
            throw .corruptIndex(path: path, message: "shorter than its header")
        }
        func word(_ offset: Int) -> UInt32 { header[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) } }
        guard word(0) == magic, word(4) >> 16 == majorVersion else {
            throw .corruptIndex(path: path, message: "not a version \(majorVersion) depmod index")
        }
        guard UInt64(word(8) & 0x0FFF_FFFF) < UInt64(status.st_size) else {
            throw .corruptIndex(path: path, message: "truncated")
        }
    }
}
