// ArchiveExtractor (kindling-lsinitrd --unpack) watched from outside: beside the destination sits a
// sentinel tree (a file, a program that could be made setuid, a directory with a file in it, a
// symlink), and members may name it through `..` and symlinks. After each input nothing outside
// the destination may have been created, removed, written, chmodded or chowned: each sentinel's
// type, mode, owner, size, inode, modification and change time and content are as before (chmod
// and chown change the change time), and the fence holds only the destination and the sentinel.
//
// FIFOs and sockets are extracted (the extractor never opens them); character and block devices
// are not: as root they would be real device nodes on this machine.
import FuzzKit
import Support
#if canImport(Glibc)
import Glibc
#endif

/// What a sentinel looks like from outside; equal before and after, or something touched it.
private struct Observation: Equatable {
    var type: UInt32, mode: UInt32, owner: UInt32, group: UInt32, links: UInt
    var size: Int, inode: UInt
    var modified: Int, modifiedNanoseconds: Int, changed: Int, changedNanoseconds: Int
    var content: [UInt8]
}

private let sentinels = [
    "sentinel", "sentinel/file", "sentinel/program", "sentinel/dir", "sentinel/dir/inner",
    "sentinel/link",
]

private func observe(_ path: String) -> Observation? {
    var status = stat()
    guard lstat(path, &status) == 0 else { return nil }
    var content: [UInt8] = []
    switch status.st_mode & S_IFMT {
    case S_IFREG:
        let file = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        if file >= 0 {
            var buffer = [UInt8](repeating: 0, count: 256)
            let count = read(file, &buffer, buffer.count)
            content = Array(buffer[..<max(0, count)])
            close(file)
        }
    case S_IFLNK:
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { readlink(path, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) }
        content = Array(buffer[..<max(0, count)])
    default:
        break
    }
    return Observation(
        type: status.st_mode & S_IFMT, mode: status.st_mode & 0o7777, owner: status.st_uid, group: status.st_gid,
        links: UInt(status.st_nlink), size: Int(status.st_size), inode: UInt(status.st_ino),
        modified: status.st_mtim.tv_sec, modifiedNanoseconds: status.st_mtim.tv_nsec,
        changed: status.st_ctim.tv_sec, changedNanoseconds: status.st_ctim.tv_nsec, content: content)
}

private func makeSentinels(in fence: String) {
    func file(_ name: String, _ text: String, mode: mode_t) {
        let descriptor = open(fence + "/" + name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { fuzzFailure("cannot create \(name)") }
        _ = text.withCString { write(descriptor, $0, strlen($0)) }
        fchmod(descriptor, mode)
        close(descriptor)
    }
    guard mkdir(fence + "/sentinel", 0o755) == 0, mkdir(fence + "/sentinel/dir", 0o700) == 0 else {
        fuzzFailure("cannot create the sentinel tree")
    }
    file("sentinel/file", "sentinel\n", mode: 0o644)
    file("sentinel/program", "#!/bin/sh\n", mode: 0o755)
    file("sentinel/dir/inner", "inner\n", mode: 0o600)
    guard symlink("file", fence + "/sentinel/link") == 0 else { fuzzFailure("cannot create the sentinel link") }
}

/// The names in a directory, sorted (Support's listing keeps their bytes).
private func entryNames(_ path: String) -> [String] {
    (directoryEntries(path) ?? []).sorted()
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUnpackConfinement(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let fence = Scratch.emptyDirectory("fence")
    let destination = fence + "/root"
    guard mkdir(destination, 0o755) == 0 else { fuzzFailure("cannot create \(destination)") }
    makeSentinels(in: fence)
    let before = sentinels.map { observe(fence + "/" + $0) }
    let fenceBefore = observe(fence)

    extractHostileArchive(Array(UnsafeBufferPointer(start: data, count: size)), into: destination) { member in
        switch member.fileType {
        case .characterDevice, .blockDevice: return true
        default: return false
        }
    }

    for (name, was) in zip(sentinels, before) {
        let now = observe(fence + "/" + name)
        fuzzCheck(now == was, "\(name) outside the destination was changed: \(String(describing: was)) -> \(String(describing: now))")
    }
    fuzzCheck(observe(fence) == fenceBefore, "the directory around the destination was changed")
    fuzzCheck(entryNames(fence) == ["root", "sentinel"], "the archive wrote beside the destination: \(entryNames(fence))")
    fuzzCheck(entryNames(Scratch.directory) == ["fence"], "the archive wrote outside: \(entryNames(Scratch.directory))")
    var status = stat()
    fuzzCheck(lstat(destination, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR, "the destination itself was replaced")
    return 0
}
