#if canImport(Glibc)
import Glibc
#endif

/// Writes entries as an SVR4 "newc" cpio archive (magic 070701, no checksums), streaming file
/// contents from disk in chunks.
///
/// The output matches what GNU cpio writes for the same members: uid and gid 0, devmajor and
/// devminor 0, TRAILER!!! at the end and the whole archive padded with zeros to a multiple of
/// 512 bytes. Inode numbers count up in write order, so the output is reproducible.
public final class CpioWriter {
    /// GNU cpio writes whole 512-byte blocks.
    static let blockSize = 512
    /// Files this large and larger have their data written as a separate piece (see
    /// `ByteSink.beginSeparatePiece`): smaller ones gain little from being compressed ahead.
    public static let separateFileSize = 128 * 1024

    private let sink: any ByteSink
    private let firstInode: UInt32
    private var readBuffer: [UInt8]
    /// Bytes written so far in the current archive, for padding.
    private var archiveOffset: UInt64 = 0

    /// - Parameters:
    ///   - firstInode: the first inode number given out. `cpio --reproducible` starts at 0;
    ///     1 keeps 0 free, which some tools treat as "no inode".
    ///   - readChunkSize: how much of a source file is read at a time.
    public init(sink: any ByteSink, firstInode: UInt32 = 1, readChunkSize: Int = 256 * 1024) {
        self.sink = sink
        self.firstInode = firstInode
        self.readBuffer = [UInt8](repeating: 0, count: max(512, readChunkSize))
    }

    /// Writes one complete archive: `entries` in the given order, the trailer and the final padding.
    ///
    /// Regular files sharing a `hardlinkIdentity` become one hardlink group: one inode number,
    /// nlink equal to the group size, and the data stored only on the group's last member (the
    /// others have size 0), as GNU cpio does. Directories get nlink 2 plus their subdirectories,
    /// as `ls -l` would show. The sink is not finished, so another archive or segment may follow.
    ///
    /// - Parameter late: entries known only once the writer comes to them, merged into
    ///   `entries` in byte order; none of them may be a directory, nor share a hardlink group
    ///   with an entry of `entries`.
    /// - Parameter afterEach: called with each entry once its bytes are written (a file's data
    ///   read from its source whole).
    /// - Returns: the number of bytes written.
    @discardableResult
    public func writeArchive(
        _ entries: [ArchiveEntry], late: LateEntries? = nil, afterEach: ((ArchiveEntry) -> Void)? = nil
    ) throws -> UInt64 {
        for entry in entries { try validate(entry) }
        archiveOffset = 0
        var entries = entries
        var late = late
        var plan = LinkPlan(entries)
        var nextInode = firstInode
        var groupInodes: [HardlinkIdentity: UInt32] = [:]

        var index = 0
        while index < entries.count || late != nil {
            if let pending = late, index == entries.count || !(entries[index].path < pending.firstPath) {
                let added = try pending.entries()
                for entry in added {
                    try validate(entry)
                    // Its parent's link count is written already.
                    guard entry.kind != .directory else {
                        throw ArchiveError.invalidEntry(path: entry.path.description, reason: "a late entry is a directory")
                    }
                }
                entries = Array(entries[..<index]) + (entries[index...] + added).sorted { $0.path < $1.path }
                plan = LinkPlan(entries)
                late = nil
                continue
            }
            let entry = entries[index]
            var inode = nextInode
            if let identity = plan.groupIdentity(of: entry) {
                if let existing = groupInodes[identity] {
                    inode = existing
                } else {
                    groupInodes[identity] = inode
                    nextInode += 1
                }
            } else {
                nextInode += 1
            }
            try write(
                entry, inode: inode, linkCount: plan.linkCount(of: entry),
                carriesData: plan.carriesData(entryAt: index, entry))
            afterEach?(entry)
            index += 1
        }

        var trailer = NewcHeader()
        trailer.linkCount = 1
        trailer.nameSize = UInt32(NewcHeader.trailerName.count + 1)
        try emit(trailer.encoded(name: NewcHeader.trailerName))
        let remainder = Int(archiveOffset % UInt64(CpioWriter.blockSize))
        if remainder != 0 {
            try emit([UInt8](repeating: 0, count: CpioWriter.blockSize - remainder))
        }
        return archiveOffset
    }

    private func write(_ entry: ArchiveEntry, inode: UInt32, linkCount: UInt32, carriesData: Bool) throws {
        var header = NewcHeader()
        header.inode = inode
        header.linkCount = linkCount
        header.modificationTime = UInt32(entry.modificationTime)
        header.nameSize = UInt32(entry.path.bytes.count + 1)
        let name = entry.path.bytes

        switch entry.kind {
        case .directory:
            header.mode = fileTypeDirectory | entry.mode
            try emit(header.encoded(name: name))
        case .symlink(let target):
            header.mode = fileTypeSymlink | entry.mode
            try emitWithData(header, name: name, data: target.bytes)
        case .characterDevice(let device):
            header.mode = fileTypeCharacterDevice | entry.mode
            header.representedDevice = device
            try emit(header.encoded(name: name))
        case .blockDevice(let device):
            header.mode = fileTypeBlockDevice | entry.mode
            header.representedDevice = device
            try emit(header.encoded(name: name))
        case .fifo:
            header.mode = fileTypeFIFO | entry.mode
            try emit(header.encoded(name: name))
        case .regularFile(let content):
            header.mode = fileTypeRegular | entry.mode
            switch (carriesData, content) {
            case (false, _):
                try emit(header.encoded(name: name))
            case (true, .bytes(let bytes)):
                try emitWithData(header, name: name, data: bytes)
            case (true, .source(let source)):
                try emitFile(header, name: name, source: source, entryPath: entry.path)
            }
        }
    }

    private func emitWithData(_ header: NewcHeader, name: [UInt8], data: [UInt8]) throws {
        guard data.count <= UInt32.max else {
            throw ArchiveError.invalidEntry(path: RawPath(bytes: name).description, reason: "larger than 4 GiB")
        }
        var header = header
        header.fileSize = UInt32(data.count)
        try emit(header.encoded(name: name))
        try emit(data)
        try emitPadding(for: data.count)
    }

    /// Streams a file from disk; the size is taken when the file is opened and must not change.
    private func emitFile(_ header: NewcHeader, name: [UInt8], source: RawPath, entryPath: RawPath) throws {
        let descriptor = source.withCString { open($0, O_RDONLY | O_CLOEXEC) }
        guard descriptor >= 0 else { throw ArchiveError.systemError("open", source.description) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw ArchiveError.systemError("stat", source.description) }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw ArchiveError.invalidEntry(
                path: entryPath.description, reason: "source '\(source)' is not a regular file")
        }
        guard status.st_size <= Int(UInt32.max) else {
            throw ArchiveError.invalidEntry(
                path: entryPath.description, reason: "newc cannot store files of 4 GiB or more")
        }
        let size = Int(status.st_size)
        var header = header
        header.fileSize = UInt32(size)
        try emit(header.encoded(name: name))

        let isSeparate = size >= Self.separateFileSize
        if isSeparate { try sink.beginSeparatePiece() }
        var remaining = size
        while remaining > 0 {
            let count = try readBuffer.withUnsafeMutableBytes { buffer -> Int in
                let wanted = min(buffer.count, remaining)
                while true {
                    let count = read(descriptor, buffer.baseAddress, wanted)
                    if count >= 0 { return count }
                    if errno != EINTR { throw ArchiveError.systemError("read", source.description) }
                }
            }
            guard count > 0 else { throw ArchiveError.sourceChanged(path: source.description) }
            try readBuffer.withUnsafeBytes { try emit(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            remaining -= count
        }
        if isSeparate { try sink.endSeparatePiece() }
        try emitPadding(for: size)
    }

    private func emitPadding(for dataSize: Int) throws {
        let padding = paddingTo4(dataSize)
        if padding > 0 { try emit([UInt8](repeating: 0, count: padding)) }
    }

    private func emit(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try emit($0) }
    }

    private func emit(_ bytes: UnsafeRawBufferPointer) throws {
        try sink.write(bytes)
        archiveOffset += UInt64(bytes.count)
    }

    /// Rejects what newc cannot represent or what would be unsafe to unpack, before anything is written.
    private func validate(_ entry: ArchiveEntry) throws {
        func reject(_ reason: String) -> ArchiveError {
            .invalidEntry(path: entry.path.description, reason: reason)
        }
        let path = entry.path.bytes
        if path.isEmpty { throw reject("empty path") }
        if path.contains(0) { throw reject("path contains a NUL byte") }
        if path.first == UInt8(ascii: "/") { throw reject("path must be relative") }
        if path.starts(with: Array("./".utf8)) { throw reject("path must not start with './'") }
        if entry.path.components.contains(RawPath("..")) { throw reject("path contains '..'") }
        // Readers, the kernel's among them, stop at a member of this name: what follows would be lost.
        if entry.path == RawPath("TRAILER!!!") { throw reject("'TRAILER!!!' marks the end of an archive") }
        if entry.mode & ~UInt32(0o7777) != 0 {
            throw reject("mode \(String(entry.mode, radix: 8)) has bits beyond the permission bits")
        }
        if entry.modificationTime < 0 || entry.modificationTime > Int64(UInt32.max) {
            throw reject("modification time \(entry.modificationTime) does not fit a newc header")
        }
        if case .symlink(let target) = entry.kind {
            if target.isEmpty { throw reject("empty symlink target") }
            if target.bytes.contains(0) { throw reject("symlink target contains a NUL byte") }
        }
    }
}

/// Entries that come after the archive has begun: another process is still writing their files.
public struct LateEntries {
    /// No late entry's path sorts before it: the writer asks for them when it gets there.
    public let firstPath: RawPath
    /// The entries, in any order; asked for once.
    public let entries: () throws -> [ArchiveEntry]

    public init(firstPath: RawPath, entries: @escaping () throws -> [ArchiveEntry]) {
        self.firstPath = firstPath
        self.entries = entries
    }
}

/// What the hardlink groups and directory nesting of a whole entry list imply for each entry.
private struct LinkPlan {
    /// Group size and the index of the member that carries the data (the last one).
    private var groups: [HardlinkIdentity: (size: UInt32, lastIndex: Int)] = [:]
    private var subdirectoryCounts: [RawPath: UInt32] = [:]

    init(_ entries: [ArchiveEntry]) {
        for (index, entry) in entries.enumerated() {
            if let identity = LinkPlan.identity(of: entry) {
                let size = (groups[identity]?.size ?? 0) + 1
                groups[identity] = (size, index)
            }
            if entry.kind == .directory, let parent = entry.path.parent {
                subdirectoryCounts[parent, default: 0] += 1
            }
        }
    }

    /// Only regular files form hardlink groups; an identity on anything else is ignored.
    private static func identity(of entry: ArchiveEntry) -> HardlinkIdentity? {
        guard case .regularFile = entry.kind else { return nil }
        return entry.hardlinkIdentity
    }

    /// The identity when the entry shares its inode with at least one other entry.
    func groupIdentity(of entry: ArchiveEntry) -> HardlinkIdentity? {
        guard let identity = LinkPlan.identity(of: entry), let group = groups[identity], group.size > 1 else {
            return nil
        }
        return identity
    }

    func linkCount(of entry: ArchiveEntry) -> UInt32 {
        if entry.kind == .directory { return 2 + (subdirectoryCounts[entry.path] ?? 0) }
        if let identity = groupIdentity(of: entry) { return groups[identity]!.size }
        return 1
    }

    func carriesData(entryAt index: Int, _ entry: ArchiveEntry) -> Bool {
        guard let identity = groupIdentity(of: entry) else { return true }
        return groups[identity]!.lastIndex == index
    }
}

// File type bits of st_mode, as stored in the newc mode field.
let fileTypeMask: UInt32 = 0o170000
let fileTypeSocket: UInt32 = 0o140000
let fileTypeSymlink: UInt32 = 0o120000
let fileTypeRegular: UInt32 = 0o100000
let fileTypeBlockDevice: UInt32 = 0o060000
let fileTypeDirectory: UInt32 = 0o040000
let fileTypeCharacterDevice: UInt32 = 0o020000
let fileTypeFIFO: UInt32 = 0o010000
