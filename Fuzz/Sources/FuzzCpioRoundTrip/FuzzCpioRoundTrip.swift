// CpioWriter then CpioReader: every list of entries the writer accepts must read back as the
// same members, in order, with the hardlink groups, device numbers and data it was given.
@testable import Archive
import FuzzKit

private func entries(from input: inout FuzzInput) -> [ArchiveEntry] {
    var entries: [ArchiveEntry] = []
    let count = input.int(in: 0...12)
    for _ in 0..<count {
        // Paths from a small alphabet, so that names repeat, nest and hit '.', '..' and '//'.
        let alphabet: [UInt8] = Array("ab./".utf8) + [0x80, UInt8(ascii: "T")]
        var path = input.shortBytes(maximum: 24).map { alphabet[Int($0) % alphabet.count] }
        if input.byte() == 0xFF { path = Array("TRAILER!!!".utf8) }
        let kindSelector = input.int(in: 0...5)
        let kind: ArchiveEntry.Kind
        switch kindSelector {
        case 0: kind = .directory
        case 1: kind = .symlink(target: RawPath(bytes: input.shortBytes(maximum: 64)))
        case 2: kind = .characterDevice(DeviceNumber(major: input.uint32(), minor: input.uint32()))
        case 3: kind = .blockDevice(DeviceNumber(major: input.uint32(), minor: input.uint32()))
        case 4: kind = .fifo
        default: kind = .regularFile(.bytes(input.shortBytes(maximum: 300)))
        }
        let mode = UInt32(input.uint16()) & (input.bool() ? 0o7777 : 0o177777)
        let modificationTime = input.bool() ? Int64(input.uint32()) : Int64(Int32(bitPattern: input.uint32()))
        let identity = input.bool() ? HardlinkIdentity(device: 1, inode: UInt64(input.int(in: 0...3))) : nil
        entries.append(
            ArchiveEntry(
                path: RawPath(bytes: path), kind: kind, mode: mode,
                modificationTime: modificationTime, hardlinkIdentity: identity))
    }
    return entries
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCpioRoundTrip(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let written = entries(from: &input)
    let sink = MemorySink()
    do {
        try CpioWriter(sink: sink).writeArchive(written)
    } catch let error as ArchiveError {
        guard case .invalidEntry = error else { fuzzFailure("writer failed with \(error)") }
        return 0
    } catch {
        fuzzFailure("unexpected error type: \(error)")
    }
    fuzzCheck(sink.bytes.count % CpioWriter.blockSize == 0, "archive not padded to 512 bytes")

    // Which entry of each hardlink group carries the data: the last one.
    var lastOfGroup: [HardlinkIdentity: Int] = [:]
    var groupSize: [HardlinkIdentity: Int] = [:]
    for (index, entry) in written.enumerated() {
        guard case .regularFile = entry.kind, let identity = entry.hardlinkIdentity else { continue }
        lastOfGroup[identity] = index
        groupSize[identity, default: 0] += 1
    }

    let reader = CpioReader(source: MemorySource(sink.bytes))
    var groupInodes: [HardlinkIdentity: UInt32] = [:]
    do {
        for (index, entry) in written.enumerated() {
            guard let member = try reader.nextMember() else {
                fuzzFailure("archive ended after \(index) of \(written.count) entries (entry \(index) is '\(entry.path)')")
            }
            fuzzCheck(member.path == entry.path, "entry \(index): path '\(member.path)' read back, '\(entry.path)' written")
            fuzzCheck(member.permissions == entry.mode & 0o7777, "entry \(index): mode \(member.mode) for \(entry.mode)")
            fuzzCheck(member.modificationTime == entry.modificationTime, "entry \(index): mtime changed")
            switch entry.kind {
            case .directory:
                fuzzCheck(member.fileType == .directory, "entry \(index): not read back as a directory")
            case .symlink(let target):
                fuzzCheck(member.fileType == .symlink && member.symlinkTarget == target, "entry \(index): symlink target changed")
            case .characterDevice(let device):
                fuzzCheck(member.fileType == .characterDevice && member.representedDevice == device, "entry \(index): device changed")
            case .blockDevice(let device):
                fuzzCheck(member.fileType == .blockDevice && member.representedDevice == device, "entry \(index): device changed")
            case .fifo:
                fuzzCheck(member.fileType == .fifo, "entry \(index): not read back as a FIFO")
            case .regularFile(let content):
                guard case .bytes(let bytes) = content else { fuzzFailure("unexpected content") }
                fuzzCheck(member.fileType == .regular, "entry \(index): not read back as a regular file")
                let data = try reader.readData()
                if let identity = entry.hardlinkIdentity, let size = groupSize[identity], size > 1 {
                    fuzzCheck(member.linkCount == UInt32(size), "entry \(index): nlink \(member.linkCount), group of \(size)")
                    if let inode = groupInodes[identity] {
                        fuzzCheck(member.inode == inode, "entry \(index): hardlink group split across inodes")
                    }
                    groupInodes[identity] = member.inode
                    fuzzCheck(data == (lastOfGroup[identity] == index ? bytes : []), "entry \(index): group data misplaced")
                } else {
                    fuzzCheck(data == bytes, "entry \(index): data changed")
                }
            }
        }
        let holds = try reader.nextMember() == nil
        fuzzCheck(holds, "a member the writer was not given")
        fuzzCheck(reader.isFinished, "no trailer")
    } catch {
        fuzzFailure("the writer's own archive does not read back: \(error)")
    }
    return 0
}
