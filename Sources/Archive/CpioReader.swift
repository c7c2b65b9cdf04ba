/// Reads the members of one newc cpio archive (magic 070701 or 070702) from a byte stream.
///
/// Call `nextMember()` until it returns nil (after `TRAILER!!!`); between calls, `readData`
/// streams the current member's data. Data that is not read is skipped. Malformed or truncated
/// input raises an `ArchiveError`; every member consumes at least a header, so reading always ends.
public final class CpioReader {
    /// Longer names or symlink targets than this are taken as corruption (Linux allows 4096).
    static let maximumNameSize: UInt32 = 64 * 1024

    private let input: InputBuffer
    /// Position of the archive's first byte: padding is relative to it.
    private let archiveStart: UInt64
    private var pending: PendingData?
    public private(set) var isFinished = false

    /// The unread data of the current member.
    private struct PendingData {
        var path: RawPath
        var remaining: UInt64
        var expectedChecksum: UInt32?
        var sum: UInt32 = 0
    }

    /// - Parameter name: names the stream in error messages.
    public convenience init(source: any ByteSource, name: String = "the cpio stream") {
        self.init(input: InputBuffer(source, streamName: name))
    }

    init(input: InputBuffer) {
        self.input = input
        self.archiveStart = input.position
    }

    /// The next member, or nil once the trailer has been read.
    public func nextMember() throws -> CpioMember? {
        if isFinished { return nil }
        try skipData()
        let headerOffset = input.position
        guard try input.fill(atLeast: NewcHeader.size) else {
            let what = try input.isAtEnd() ? "cpio archive (no TRAILER!!! entry)" : "cpio header"
            throw ArchiveError.truncated(what: what, location: input.location(headerOffset))
        }
        let header = try NewcHeader(parsing: input.available, location: input.location(headerOffset))
        input.consume(NewcHeader.size)
        let path = try readName(of: header, headerOffset: headerOffset)

        if path.bytes == NewcHeader.trailerName {
            isFinished = true
            try skipExactly(UInt64(header.fileSize), what: "cpio trailer")
            try skipPadding(what: "cpio trailer")
            return nil
        }

        var member = CpioMember(
            path: path, mode: header.mode, uid: header.uid, gid: header.gid, linkCount: header.linkCount,
            modificationTime: Int64(header.modificationTime), size: UInt64(header.fileSize),
            inode: header.inode, device: header.device, representedDevice: header.representedDevice,
            checksum: header.hasChecksum ? header.checksum : nil, symlinkTarget: nil)

        if member.fileType == .symlink {
            // Symlink data is the target: small, and wanted by every caller, so read it now.
            guard header.fileSize <= CpioReader.maximumNameSize else {
                throw corrupt("symlink '\(path)' has a \(header.fileSize)-byte target", at: headerOffset)
            }
            let what = "target of symlink '\(path)'"
            member.symlinkTarget = RawPath(bytes: try readExactly(Int(header.fileSize), what: what))
            try skipPadding(what: what)
        } else {
            pending = PendingData(path: path, remaining: member.size, expectedChecksum: member.checksum)
        }
        return member
    }

    /// Streams the rest of the current member's data to `body`, in chunks.
    /// For symlinks the data is the target, already in `symlinkTarget`, so nothing is passed.
    public func readData(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard var data = pending else { return }
        while data.remaining > 0 {
            guard try input.fill(atLeast: 1) else {
                throw ArchiveError.truncated(what: "data of '\(data.path)'", location: input.location())
            }
            let count = Int(min(UInt64(input.available.count), data.remaining))
            let chunk = UnsafeRawBufferPointer(rebasing: input.available.prefix(count))
            if data.expectedChecksum != nil {
                for byte in chunk { data.sum &+= UInt32(byte) }
            }
            try body(chunk)
            input.consume(count)
            data.remaining -= UInt64(count)
            pending = data
        }
        pending = nil
        try skipPadding(what: "data of '\(data.path)'")
        if let expected = data.expectedChecksum, expected != data.sum {
            throw corrupt("checksum mismatch for '\(data.path)'", at: input.position)
        }
    }

    /// The rest of the current member's data in one array; for small files.
    public func readData() throws -> [UInt8] {
        var bytes: [UInt8] = []
        try readData { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// Copies the rest of the current member's data into a sink.
    public func copyData(to sink: any ByteSink) throws {
        try readData { try sink.write($0) }
    }

    /// The NUL-terminated name after the header, and its padding.
    private func readName(of header: NewcHeader, headerOffset: UInt64) throws -> RawPath {
        guard header.nameSize >= 1, header.nameSize <= CpioReader.maximumNameSize else {
            throw corrupt("cpio name size \(header.nameSize) out of range", at: headerOffset)
        }
        let bytes = try readExactly(Int(header.nameSize), what: "cpio member name")
        guard bytes.last == 0, !bytes.dropLast().contains(0) else {
            throw corrupt("cpio member name is not NUL-terminated", at: headerOffset)
        }
        try skipPadding(what: "cpio member name")
        return RawPath(bytes: Array(bytes.dropLast()))
    }

    private func skipData() throws {
        guard let data = pending else { return }
        pending = nil
        try skipExactly(data.remaining, what: "data of '\(data.path)'")
        try skipPadding(what: "data of '\(data.path)'")
    }

    private func readExactly(_ count: Int, what: String) throws -> [UInt8] {
        guard try input.fill(atLeast: count) else {
            throw ArchiveError.truncated(what: what, location: input.location())
        }
        let bytes = Array(input.available.prefix(count))
        input.consume(count)
        return bytes
    }

    private func skipExactly(_ count: UInt64, what: String) throws {
        guard try input.skip(count) == count else {
            throw ArchiveError.truncated(what: what, location: input.location())
        }
    }

    /// Name and data each end on a 4-byte boundary, counted from the start of the archive.
    private func skipPadding(what: String) throws {
        try skipExactly(UInt64(paddingTo4(input.position - archiveStart)), what: what)
    }

    private func corrupt(_ what: String, at offset: UInt64) -> ArchiveError {
        .corrupt(what: what, location: input.location(offset))
    }
}
