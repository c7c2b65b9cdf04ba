import Foundation
import XCTest
@testable import Archive

/// A directory under /tmp that is removed when the test is done with it.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/archive-tests.XXXXXX".utf8CString)
        guard let result = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw ArchiveError.systemError("create temporary directory", "/tmp")
        }
        path = String(cString: result)
    }

    deinit { _ = try? runTool("/bin/rm", ["-rf", path]) }

    func raw(_ relative: String) -> RawPath { RawPath(path + "/" + relative) }
    func raw(_ relative: RawPath) -> RawPath { RawPath(path).appending(relative) }
}

struct ToolResult {
    var status: Int32
    var output: [UInt8]
    var error: [UInt8]
    var outputText: String { String(decoding: output, as: UTF8.self) }
    var errorText: String { String(decoding: error, as: UTF8.self) }
}

/// Runs a program with `input` on standard input (a file is used so large inputs cannot deadlock).
func runTool(
    _ executable: String, _ arguments: [String], input: [UInt8] = [], inputFile: String? = nil,
    in directory: String? = nil, environment: [String: String]? = nil
) throws -> ToolResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    if let environment { process.environment = environment }
    let inputPath = inputFile ?? NSTemporaryDirectory() + "/tool-input-\(UUID().uuidString)"
    if inputFile == nil { try Data(input).write(to: URL(fileURLWithPath: inputPath)) }
    defer { if inputFile == nil { try? FileManager.default.removeItem(atPath: inputPath) } }
    process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: inputPath))
    // Standard error goes to a file so that only one pipe needs draining.
    let errorPath = NSTemporaryDirectory() + "/tool-error-\(UUID().uuidString)"
    _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: errorPath) }
    let outputPipe = Pipe()
    process.standardOutput = outputPipe
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
    try process.run()
    let outputData = outputPipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let errorData = FileManager.default.contents(atPath: errorPath) ?? Data()
    return ToolResult(status: process.terminationStatus, output: [UInt8](outputData), error: [UInt8](errorData))
}

func toolExists(_ name: String) -> Bool {
    ["/usr/bin/", "/bin/", "/usr/local/bin/"].contains { FileManager.default.isExecutableFile(atPath: $0 + name) }
}

// MARK: Raw file helpers (names may not be UTF-8, so these use the C library directly)

func writeFile(_ path: RawPath, _ bytes: [UInt8], mode: mode_t = 0o644) throws {
    let descriptor = path.withCString { open($0, O_WRONLY | O_CREAT | O_TRUNC, mode) }
    guard descriptor >= 0 else { throw ArchiveError.systemError("create", path.description) }
    defer { close(descriptor) }
    guard bytes.withUnsafeBytes({ writeAllBytes(descriptor, $0) }) else {
        throw ArchiveError.systemError("write", path.description)
    }
    fchmod(descriptor, mode)
}

func readFile(_ path: RawPath) throws -> [UInt8] {
    let descriptor = path.withCString { open($0, O_RDONLY) }
    guard descriptor >= 0 else { throw ArchiveError.systemError("open", path.description) }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { break }
        bytes += chunk[0..<count]
    }
    return bytes
}

func makeDirectory(_ path: RawPath, mode: mode_t = 0o755) throws {
    guard path.withCString({ mkdir($0, mode) }) == 0 else { throw ArchiveError.systemError("mkdir", path.description) }
    _ = path.withCString { chmod($0, mode) }
}

func makeSymlink(_ path: RawPath, to target: String) throws {
    guard path.withCString({ symlink(target, $0) }) == 0 else { throw ArchiveError.systemError("symlink", path.description) }
}

func fileStatus(_ path: RawPath) -> stat? {
    var status = stat()
    return path.withCString { lstat($0, &status) } == 0 ? status : nil
}

func symlinkTarget(_ path: RawPath) -> RawPath? {
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = path.withCString { name in
        buffer.withUnsafeMutableBytes { readlink(name, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) }
    }
    return count >= 0 ? RawPath(bytes: Array(buffer[0..<count])) : nil
}

func setModificationTime(_ path: RawPath, _ seconds: Int) {
    var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
    _ = path.withCString { utimensat(AT_FDCWD, $0, &times, AT_SYMLINK_NOFOLLOW) }
}

/// Deterministic pseudo-random bytes.
func pseudoRandomBytes(_ count: Int, seed: UInt64 = 42) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 33)
    }
}

/// Lists a directory tree the way `find . | sort` would, as archive entries ("." first).
func scanTree(_ root: RawPath) throws -> [ArchiveEntry] {
    var relativePaths: [RawPath] = ["."]
    func walk(_ relative: RawPath?) throws {
        let directory = relative.map { root.appending($0) } ?? root
        guard let handle = directory.withCString({ opendir($0) }) else {
            throw ArchiveError.systemError("open directory", directory.description)
        }
        defer { closedir(handle) }
        var children: [RawPath] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name == [0x2e] || name == [0x2e, 0x2e] { continue }
            children.append(relative.map { $0.appending(RawPath(bytes: name)) } ?? RawPath(bytes: name))
        }
        for child in children {
            relativePaths.append(child)
            if let status = fileStatus(root.appending(child)), status.st_mode & S_IFMT == S_IFDIR { try walk(child) }
        }
    }
    try walk(nil)
    // `find . | sort` sorts "./name" strings; the common prefix keeps the byte order of the names.
    relativePaths.sort()
    return try relativePaths.map { relative in
        let full = relative == "." ? root : root.appending(relative)
        guard let status = fileStatus(full) else { throw ArchiveError.systemError("lstat", full.description) }
        let kind: ArchiveEntry.Kind
        switch status.st_mode & S_IFMT {
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink(target: symlinkTarget(full)!)
        case S_IFIFO: kind = .fifo
        case S_IFCHR: kind = .characterDevice(DeviceNumber(combined: UInt64(status.st_rdev)))
        case S_IFBLK: kind = .blockDevice(DeviceNumber(combined: UInt64(status.st_rdev)))
        default: kind = .regularFile(.source(full))
        }
        let identity =
            status.st_nlink > 1 && status.st_mode & S_IFMT == S_IFREG
            ? HardlinkIdentity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino)) : nil
        return ArchiveEntry(
            path: relative, kind: kind, mode: UInt32(status.st_mode & 0o7777),
            modificationTime: Int64(status.st_mtim.tv_sec), hardlinkIdentity: identity)
    }
}

/// Writes entries as one archive into memory.
func archiveBytes(_ entries: [ArchiveEntry], firstInode: UInt32 = 1) throws -> [UInt8] {
    let sink = MemorySink()
    try CpioWriter(sink: sink, firstInode: firstInode, readChunkSize: 4096).writeArchive(entries)
    try sink.finish()
    return sink.bytes
}

/// Reads every member of one archive with its data.
func readMembers(_ bytes: [UInt8]) throws -> [(member: CpioMember, data: [UInt8])] {
    let reader = CpioReader(source: MemorySource(bytes))
    var result: [(CpioMember, [UInt8])] = []
    while let member = try reader.nextMember() {
        result.append((member, try reader.readData()))
    }
    return result
}

/// Hand-made newc bytes, for input our writer refuses to produce.
func craftedArchive(_ members: [(name: String, mode: UInt32, data: [UInt8])], trailer: Bool = true) -> [UInt8] {
    var bytes: [UInt8] = []
    var inode: UInt32 = 1
    for member in members + (trailer ? [("TRAILER!!!", 0, [])] : []) {
        var header = NewcHeader()
        header.inode = member.name == "TRAILER!!!" ? 0 : inode
        inode += 1
        header.mode = member.mode
        header.linkCount = 1
        header.fileSize = UInt32(member.data.count)
        header.nameSize = UInt32(member.name.utf8.count + 1)
        bytes += header.encoded(name: Array(member.name.utf8))
        bytes += member.data
        bytes += [UInt8](repeating: 0, count: paddingTo4(member.data.count))
    }
    return bytes
}

func gzipCompressed(_ bytes: [UInt8], level: Int = 6) throws -> [UInt8] {
    let sink = MemorySink()
    let gzip = try GzipSink(level: level, forwardingTo: sink)
    try gzip.write(bytes)
    try gzip.finish()
    return sink.bytes
}

/// Where the trailer entry's name and its padding end: the shortest complete archive.
func endOfTrailer(in archive: [UInt8]) -> Int {
    let name = Array("TRAILER!!!\0".utf8)
    let start = archive.indices.first { Array(archive[$0..<min(archive.count, $0 + name.count)]) == name }!
    return start + name.count + paddingTo4(start + name.count)
}
