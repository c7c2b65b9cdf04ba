#if canImport(Glibc)
import Glibc
#endif
import Support

/// Reads byte ranges of one regular file, checking every range against the file's size first, so
/// that a corrupt offset or size can neither read past the end nor make us allocate a huge buffer.
final class BoundedFileReader {
    /// No table the ELF reader needs comes near this size; a larger one means a corrupt field.
    static let largestRead: UInt64 = 64 << 20

    let path: String
    let size: UInt64
    private let descriptor: Int32

    init(path: String) throws(ELFError) {
        // O_NONBLOCK keeps a FIFO planted where a library should be from hanging the open.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            throw ELFError(path: path, reason: .unreadable(systemErrorDescription()))
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let explanation = systemErrorDescription()
            close(descriptor)
            throw ELFError(path: path, reason: .unreadable(explanation))
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            let explanation = status.st_mode & S_IFMT == S_IFDIR ? "is a directory" : "not a regular file"
            throw ELFError(path: path, reason: .unreadable(explanation))
        }
        self.path = path
        self.size = UInt64(status.st_size)
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    func contains(offset: UInt64, count: UInt64) -> Bool {
        count <= size && offset <= size - count
    }

    /// Exactly `count` bytes at `offset`; throws `truncated(part)` if they are not all in the file.
    func bytes(at offset: UInt64, count: UInt64, part: String) throws(ELFError) -> [UInt8] {
        guard contains(offset: offset, count: count) else {
            throw ELFError(path: path, reason: .truncated(part))
        }
        guard count <= Self.largestRead else {
            throw ELFError(path: path, reason: .corrupt("\(part) claims \(count) bytes"))
        }
        var buffer = [UInt8](repeating: 0, count: Int(count))
        let filled = buffer.withUnsafeMutableBytes { preadAll(fd: descriptor, into: $0, at: Int(offset)) }
        if filled < 0 {
            throw ELFError(path: path, reason: .unreadable(systemErrorDescription()))
        }
        // The file shrank between fstat and pread.
        guard filled == buffer.count else { throw ELFError(path: path, reason: .truncated(part)) }
        return buffer
    }

    /// Up to `count` bytes from the start of the file: fewer when the file is shorter.
    func prefix(_ count: Int) throws(ELFError) -> [UInt8] {
        try bytes(at: 0, count: min(UInt64(count), size), part: "header")
    }
}

/// Decodes fixed-width integers from a byte buffer in the file's byte order. Callers read buffers
/// of the exact structure size first, so every offset passed here is in range by construction.
struct ByteDecoder {
    let bytes: [UInt8]
    let endianness: ELFFile.Endianness
    /// 4 for ELF32 and 8 for ELF64: the width of addresses, offsets and sizes.
    let wordSize: Int

    func unsigned(at offset: Int, width: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<width {
            let byte = UInt64(bytes[offset + index])
            switch endianness {
            case .little: value |= byte << (8 * UInt64(index))
            case .big: value = value << 8 | byte
            }
        }
        return value
    }

    func uint16(at offset: Int) -> UInt16 { UInt16(unsigned(at: offset, width: 2)) }
    func uint32(at offset: Int) -> UInt32 { UInt32(unsigned(at: offset, width: 4)) }
    func word(at offset: Int) -> UInt64 { unsigned(at: offset, width: wordSize) }

    /// A signed word (d_tag is signed), sign-extended for ELF32.
    func signedWord(at offset: Int) -> Int64 {
        let raw = word(at: offset)
        return wordSize == 4 ? Int64(Int32(truncatingIfNeeded: raw)) : Int64(bitPattern: raw)
    }
}
