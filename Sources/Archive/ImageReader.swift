/// How a segment of an initramfs image is stored, told apart by its first bytes as the kernel does.
public enum Compression: String, Sendable, CaseIterable {
    case uncompressed, gzip, bzip2, xz, lzma, lz4, lzo, zstd

    /// The compression whose magic number `bytes` starts with; `.uncompressed` means a newc cpio archive.
    public init?(magic bytes: [UInt8]) {
        func starts(_ magic: [UInt8]) -> Bool { bytes.starts(with: magic) }
        if starts(NewcHeader.magic) || starts(NewcHeader.checksumMagic) {
            self = .uncompressed
        } else if starts(gzipMagic) {
            self = .gzip
        } else if starts(Array("BZh".utf8)) {
            self = .bzip2
        } else if starts([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) {
            self = .xz
        } else if starts([0x5d, 0x00, 0x00]) {
            self = .lzma
        } else if starts([0x02, 0x21, 0x4c, 0x18]) {
            self = .lz4
        } else if starts([0x89, 0x4c, 0x5a, 0x4f, 0x00]) {
            self = .lzo
        } else if starts([0x28, 0xb5, 0x2f, 0xfd]) {
            self = .zstd
        } else {
            return nil
        }
    }

    /// The system command that decompresses this format to standard output. gzip is decoded in
    /// process instead, so only the other formats need their tool installed.
    public var decompressor: (tool: String, arguments: [String]) {
        switch self {
        case .uncompressed: return ("cat", [])
        case .gzip: return ("gzip", ["-dc"])
        case .bzip2: return ("bzip2", ["-dc"])
        case .xz: return ("xz", ["-dc"])
        case .lzma: return ("xz", ["-dc", "--format=lzma"])
        case .lz4: return ("lz4", ["-dc"])
        case .lzo: return ("lzop", ["-dc"])
        case .zstd: return ("zstd", ["-dc"])
        }
    }
}

/// One cpio archive found in an image.
public struct ImageArchive {
    /// Counts archives from 0 in image order.
    public let index: Int
    /// How the segment holding the archive is stored.
    public let compression: Compression
    /// Where that segment starts in the image file.
    public let segmentOffset: UInt64
    public let reader: CpioReader
}

/// Walks the cpio archives of an initramfs image the way the kernel unpacks it: the file is a
/// series of segments, each a plain newc archive or a compressed stream of newc archives, with
/// zero padding allowed between them. A typical image is an uncompressed early archive (CPU
/// microcode) followed by the compressed main archive.
///
/// gzip is decompressed in process; the other formats are piped through their system tool, which
/// reads from the segment's start to the end of the file.
public final class ImageReader {
    public let path: String
    private let file: InputBuffer
    /// Set once a decompressor tool has taken the rest of the file.
    private var fileHandedOff = false
    private var segment: Segment?
    private var current: CpioReader?
    private var archiveCount = 0

    /// A compressed stream being read, which may hold several archives.
    private struct Segment {
        var stream: InputBuffer
        var compression: Compression
        var offset: UInt64
    }

    public init(path: String) throws {
        self.path = path
        file = InputBuffer(try FileSource(path: path), streamName: "'\(path)'")
    }

    /// The next archive, or nil at the end of the image. Moving on skips whatever is left of the
    /// previous archive.
    public func nextArchive() throws -> ImageArchive? {
        if let current {
            while try current.nextMember() != nil {}
            self.current = nil
        }
        while true {
            if let segment {
                if let archive = try nextArchive(in: segment) { return archive }
                self.segment = nil  // the compressed stream is used up: carry on in the file
            } else {
                if fileHandedOff { return nil }
                try file.skipZeros()
                if try file.isAtEnd() { return nil }
                if let archive = try openSegment() { return archive }
            }
        }
    }

    /// Another archive in the same decompressed stream, after optional zero padding.
    private func nextArchive(in segment: Segment) throws -> ImageArchive? {
        try segment.stream.skipZeros()
        if try segment.stream.isAtEnd() { return nil }
        guard Compression(magic: try segment.stream.peek(6)) == .uncompressed else {
            throw ArchiveError.corrupt(
                what: "data after a cpio archive is not another cpio archive", location: segment.stream.location())
        }
        return startArchive(on: segment.stream, compression: segment.compression, offset: segment.offset)
    }

    /// Looks at the segment starting at the current file position: a plain archive is returned
    /// right away, a compressed stream becomes the current segment.
    private func openSegment() throws -> ImageArchive? {
        let offset = file.position
        let magic = try file.peek(8)
        try rejectOtherCpioFormats(magic)
        guard let compression = Compression(magic: magic) else {
            throw ArchiveError.unsupportedFormat(
                what: "unrecognized data (starts with \(printable(magic)))", location: file.location())
        }
        let streamName = "the \(compression.rawValue) data at byte \(offset) of '\(path)'"
        let source: any ByteSource
        switch compression {
        case .uncompressed:
            return startArchive(on: file, compression: .uncompressed, offset: offset)
        case .gzip:
            source = try GunzipSource(input: file)
        default:
            let command = compression.decompressor
            source = try CommandSource(
                tool: command.tool, arguments: command.arguments,
                compression: compression.rawValue, path: path, offset: offset)
            fileHandedOff = true
        }
        segment = Segment(stream: InputBuffer(source, streamName: streamName), compression: compression, offset: offset)
        return nil
    }

    private func startArchive(on stream: InputBuffer, compression: Compression, offset: UInt64) -> ImageArchive {
        let reader = CpioReader(input: stream)
        current = reader
        defer { archiveCount += 1 }
        return ImageArchive(index: archiveCount, compression: compression, segmentOffset: offset, reader: reader)
    }

    /// Old cpio formats the kernel does not accept either; naming them beats "unrecognized data".
    private func rejectOtherCpioFormats(_ magic: [UInt8]) throws {
        let name: String
        if magic.starts(with: Array("070707".utf8)) {
            name = "odc (070707)"
        } else if magic.starts(with: [0xc7, 0x71]) || magic.starts(with: [0x71, 0xc7]) {
            name = "old binary"
        } else {
            return
        }
        throw ArchiveError.unsupportedFormat(
            what: "\(name) cpio archive; only newc is supported", location: file.location())
    }
}
