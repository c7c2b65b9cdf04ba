#if canImport(Glibc)
import Glibc
#endif

/// Reads typed values off the front of a fuzzer's input, the way LLVM's FuzzedDataProvider does:
/// once the input runs out every value is zero or empty, so any input drives a whole harness.
public struct FuzzInput {
    private let bytes: [UInt8]
    private var offset = 0

    public init(_ data: UnsafePointer<UInt8>, _ size: Int) {
        bytes = Array(UnsafeBufferPointer(start: data, count: size))
    }

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var isAtEnd: Bool { offset >= bytes.count }
    public var remainingCount: Int { bytes.count - offset }

    public mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func bool() -> Bool { byte() & 1 == 1 }

    public mutating func uint16() -> UInt16 { UInt16(byte()) | UInt16(byte()) << 8 }

    public mutating func uint32() -> UInt32 { UInt32(uint16()) | UInt32(uint16()) << 16 }

    /// A value in `range`, from as few bytes as the range needs.
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound)
        var value: UInt64 = 0
        var covered: UInt64 = 0
        while covered < span {
            value = value << 8 | UInt64(byte())
            covered = covered << 8 | 0xFF
        }
        return range.lowerBound + Int(span == UInt64.max ? value : value % (span + 1))
    }

    /// Up to `count` bytes.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        let taken = Array(bytes[offset..<min(bytes.count, offset + max(0, count))])
        offset += taken.count
        return taken
    }

    /// A length-prefixed byte string of at most `maximum` bytes.
    public mutating func shortBytes(maximum: Int = 255) -> [UInt8] {
        bytes(int(in: 0...maximum))
    }

    public mutating func rest() -> [UInt8] { bytes(remainingCount) }
}

/// Stops the process the way libFuzzer records as a crash, with the reason on standard error.
public func fuzzFailure(_ message: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    let text = Array("fuzz invariant failed at \(file):\(line): \(message)\n".utf8)
    _ = text.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    abort()
}

public func fuzzCheck(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    if !condition() { fuzzFailure(message(), file: file, line: line) }
}

/// A private directory for harnesses whose code under test reads paths: one per process, on
/// /dev/shm when it exists so that writing an input costs no disk I/O. Removed at exit.
public enum Scratch {
    public static let directory: String = {
        let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp")
        var template = Array("\(base)/kindling-fuzz-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { fuzzFailure("cannot create a scratch directory in \(base)") }
        let path = String(cString: made)
        scratchToRemove = path
        atexit { if let path = scratchToRemove { removeTree(path) } }
        return path
    }()

    /// Writes `bytes` to `name` in the scratch directory, replacing it, and returns the path.
    @discardableResult
    public static func write(_ bytes: [UInt8], to name: String) -> String {
        let path = directory + "/" + name
        unlink(path)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { fuzzFailure("cannot create \(path)") }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            guard count > 0 else { fuzzFailure("cannot write \(path)") }
            written += count
        }
        return path
    }

    /// A fresh empty directory `name` in the scratch directory.
    public static func emptyDirectory(_ name: String) -> String {
        let path = directory + "/" + name
        removeTree(path)
        guard mkdir(path, 0o700) == 0 else { fuzzFailure("cannot create \(path)") }
        return path
    }
}

nonisolated(unsafe) private var scratchToRemove: String?

/// `rm -rf` without following symlinks, for the scratch directory only. Works on names that are
/// not UTF-8 and on directories left without permissions (an extracted archive may hold both).
public func removeTree(_ path: String) {
    var status = stat()
    guard lstat(path, &status) == 0 else { return }
    guard status.st_mode & S_IFMT == S_IFDIR else {
        unlink(path)
        return
    }
    chmod(path, 0o700)
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
    if fd >= 0 {
        removeContents(of: fd)
        close(fd)
    }
    rmdir(path)
}

/// Empties the directory open at `fd`, name by name as raw bytes.
private func removeContents(of fd: Int32) {
    let copy = dup(fd)
    guard copy >= 0, let directory = fdopendir(copy) else { return }
    var names: [[CChar]] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            Array(raw.bindMemory(to: CChar.self).prefix { $0 != 0 }) + [0]
        }
        if name != [46, 0] && name != [46, 46, 0] { names.append(name) }
    }
    closedir(directory)
    for name in names {
        var status = stat()
        guard fstatat(fd, name, &status, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
        if status.st_mode & S_IFMT == S_IFDIR {
            fchmodat(fd, name, 0o700, 0)
            let child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if child >= 0 {
                removeContents(of: child)
                close(child)
            }
            unlinkat(fd, name, AT_REMOVEDIR)
        } else {
            unlinkat(fd, name, 0)
        }
    }
}

/// Keeps external decompressors out of a harness: with PATH pointing nowhere, starting `xz` or
/// `zstd` fails at once (the error path is tested) instead of running a tool per input.
public func hideExternalTools() {
    setenv("PATH", Scratch.directory + "/no-tools", 1)
}
