#if canImport(Glibc)
import Glibc
#endif

/// File names are bytes and need not be UTF-8; Swift strings hold Unicode only. Each byte that is
/// not part of valid UTF-8 travels inside a String as the private-use scalar U+10FF00 + byte
/// (plane 16, which no real file name uses), and becomes the byte again at every system call.
/// The name survives the shell bridge, the installer and the image exactly.
public enum PathBytes {
    static let base: UInt32 = 0x10_FF00

    /// The String that carries `bytes`, valid UTF-8 or not.
    public static func string(_ bytes: some Collection<UInt8>) -> String {
        // An escape that arrives as UTF-8 (a value that went through a bash and came back) is
        // kept as the escape: it still stands for its byte.
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        let array = Array(bytes)
        var scalars = String.UnicodeScalarView()
        var index = 0
        while index < array.count {
            if let (scalar, length) = scalar(in: array, at: index) {
                scalars.append(scalar)
                index += length
            } else {
                scalars.append(Unicode.Scalar(base + UInt32(array[index]))!)
                index += 1
            }
        }
        return String(scalars)
    }

    /// The String that carries the bytes of a NUL-terminated C string.
    public static func string(cString pointer: UnsafePointer<CChar>) -> String {
        string(UnsafeBufferPointer(start: pointer, count: strlen(pointer)).map { UInt8(bitPattern: $0) })
    }

    /// The bytes `string` carries: its UTF-8, with each escape turned back into its byte.
    public static func bytes(_ string: String) -> [UInt8] {
        guard mayCarryEscapes(string), string.unicodeScalars.contains(where: isEscape) else { return Array(string.utf8) }
        var result: [UInt8] = []
        for scalar in string.unicodeScalars {
            if isEscape(scalar) {
                result.append(UInt8(scalar.value - base))
            } else {
                result.append(contentsOf: String(scalar).utf8)
            }
        }
        return result
    }

    /// Whether `string` carries bytes that are not UTF-8.
    public static func carriesRawBytes(_ string: String) -> Bool {
        mayCarryEscapes(string) && string.unicodeScalars.contains(where: isEscape)
    }

    /// `string` for a message: as it is when it is printable UTF-8, else quoted as bash's
    /// `printf %q` does, `$'...'` with `\r`, `\n`, `\t` and `\xHH`, so that no control character
    /// or raw byte reaches the terminal and the reader sees what the value holds.
    public static func visible(_ string: String) -> String {
        let raw = bytes(string)
        let plain =
            !carriesRawBytes(string) && !raw.contains { $0 < 0x20 || $0 == 0x7F }
            && !string.unicodeScalars.contains { $0.properties.generalCategory == .control }
        if plain { return string }
        var result = "$'"
        var index = 0
        while index < raw.count {
            let byte = raw[index]
            switch byte {
            case 0x0A: result += "\\n"
            case 0x0D: result += "\\r"
            case 0x09: result += "\\t"
            case 0x5C: result += "\\\\"
            case 0x27: result += "\\'"
            case 0x20..<0x7F: result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                // A UTF-8 character that is not a control character stays as it is.
                let decoded = byte >= 0x80 ? Self.scalar(in: raw, at: index) : nil
                if let (scalar, length) = decoded, scalar.properties.generalCategory != .control {
                    result.unicodeScalars.append(scalar)
                    index += length
                    continue
                }
                let hex = String(byte, radix: 16)
                result += (hex.count == 1 ? "\\x0" : "\\x") + hex
            }
            index += 1
        }
        return result + "'"
    }

    /// `string` in single quotes for a message, or as `visible` gives it (`$'...'`) when it holds
    /// a control character or a byte that is not UTF-8.
    public static func quoted(_ string: String) -> String {
        let shown = visible(string)
        return shown.hasPrefix("$'") && shown != string ? shown : "'" + string + "'"
    }

    /// Calls `body` with the NUL-terminated bytes of `path`.
    public static func withCString<Result>(_ path: String, _ body: (UnsafePointer<CChar>) throws -> Result) rethrows -> Result {
        guard mayCarryEscapes(path), path.unicodeScalars.contains(where: isEscape) else {
            return try path.withCString(body)
        }
        return try (bytes(path) + [0]).withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }

    /// Every escape's UTF-8 starts with the byte 0xF4 (U+10FF00...U+10FFFF), which plain names
    /// lack: one memchr over the bytes spares the scalar-by-scalar look at every system call.
    private static func mayCarryEscapes(_ string: String) -> Bool {
        string.utf8.withContiguousStorageIfAvailable { utf8 in
            guard let start = utf8.baseAddress else { return false }
            return memchr(start, 0xF4, utf8.count) != nil
        } ?? true
    }

    private static func isEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value >= base && scalar.value <= base + 0xFF
    }

    /// The valid UTF-8 scalar that starts at `index`, and its length.
    private static func scalar(in bytes: [UInt8], at index: Int) -> (Unicode.Scalar, Int)? {
        let lead = bytes[index]
        let length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0
        guard length > 0, index + length <= bytes.count,
            let text = String(validating: bytes[index..<index + length], as: UTF8.self),
            let scalar = text.unicodeScalars.first
        else { return nil }
        return (scalar, length)
    }
}

// The system calls the installer and the shell bridge make on String paths. Taking a String
// exactly, these overloads win over the C functions' implicit String-to-pointer conversion, so
// every call site passes a name's raw bytes without having to remember to.

public func lstat(_ path: String, _ status: UnsafeMutablePointer<stat>) -> Int32 {
    PathBytes.withCString(path) { fstatat(AT_FDCWD, $0, status, AT_SYMLINK_NOFOLLOW) }
}

public func stat(_ path: String, _ status: UnsafeMutablePointer<stat>) -> Int32 {
    PathBytes.withCString(path) { fstatat(AT_FDCWD, $0, status, 0) }
}

public func open(_ path: String, _ flags: Int32) -> Int32 {
    PathBytes.withCString(path) { Glibc.open($0, flags) }
}

public func open(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 {
    PathBytes.withCString(path) { Glibc.open($0, flags, mode) }
}

public func opendir(_ path: String) -> OpaquePointer? {
    PathBytes.withCString(path) { Glibc.opendir($0) }
}

public func mkdir(_ path: String, _ mode: mode_t) -> Int32 {
    PathBytes.withCString(path) { Glibc.mkdir($0, mode) }
}

public func symlink(_ target: String, _ path: String) -> Int32 {
    PathBytes.withCString(target) { target in PathBytes.withCString(path) { Glibc.symlink(target, $0) } }
}

public func readlink(_ path: String, _ buffer: UnsafeMutablePointer<CChar>, _ size: Int) -> Int {
    PathBytes.withCString(path) { Glibc.readlink($0, buffer, size) }
}

/// The text of the symbolic link at `path`; nil when it is not one or cannot be read.
public func readLink(_ path: String) -> String? {
    // Uninitialised: zeroing PATH_MAX bytes for every link cost more than reading it.
    let capacity = Int(PATH_MAX) + 1
    let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: capacity)
    defer { buffer.deallocate() }
    let length = readlink(path, buffer, capacity - 1)
    guard length > 0 else { return nil }
    return PathBytes.string(UnsafeRawBufferPointer(start: buffer, count: length))
}

/// Puts a symlink to `target` at `path` in the place of what is there (not a directory), as
/// `ln -sf` does, so that `path` never goes missing: the link is made under a temporary name
/// beside it, then renamed over it. 0, or -1 with errno from the step that failed.
public func replaceWithSymlink(_ path: String, target: String) -> Int32 {
    let temporary = path + ".kindling-link"
    _ = unlink(temporary)
    guard symlink(target, temporary) == 0 else { return -1 }
    guard PathBytes.withCString(temporary, { from in PathBytes.withCString(path) { Glibc.rename(from, $0) } }) == 0 else {
        let failure = errno
        _ = unlink(temporary)
        errno = failure
        return -1
    }
    return 0
}

public func mknod(_ path: String, _ mode: mode_t, _ device: dev_t) -> Int32 {
    PathBytes.withCString(path) { Glibc.mknod($0, mode, device) }
}

public func access(_ path: String, _ mode: Int32) -> Int32 {
    PathBytes.withCString(path) { Glibc.access($0, mode) }
}

/// The names in a directory (without `.` and `..`), each carrying its raw bytes; nil when the
/// directory cannot be opened. FileManager would give names that no longer name their files.
public func directoryEntries(_ path: String) -> [String]? {
    typedDirectoryEntries(path)?.map(\.name)
}

/// A name in a directory, with the type the directory records for it (`d_type`: DT_DIR, DT_REG,
/// DT_LNK...; DT_UNKNOWN where the filesystem records none). A walk that knows a type from it
/// needs no stat of the entry.
public struct DirectoryEntry: Sendable {
    public let name: String
    public let type: Int

    /// The type, from an lstat of `path` (the entry's own path) where the directory recorded none.
    public func typeNotFollowing(at path: String) -> Int {
        guard type == DT_UNKNOWN else { return type }
        var status = stat()
        return lstat(path, &status) == 0 ? Self.type(of: status) : DT_UNKNOWN
    }

    /// The type of what the entry leads to: a symlink's target, from a stat of `path` (the entry's
    /// own path), as is an entry whose type the directory did not record.
    public func typeFollowing(at path: String) -> Int {
        guard type == DT_UNKNOWN || type == DT_LNK else { return type }
        var status = stat()
        return stat(path, &status) == 0 ? Self.type(of: status) : DT_UNKNOWN
    }

    private static func type(of status: stat) -> Int {
        switch status.st_mode & S_IFMT {
        case S_IFDIR: DT_DIR
        case S_IFREG: DT_REG
        case S_IFLNK: DT_LNK
        default: DT_UNKNOWN
        }
    }
}

/// As `directoryEntries`, with each entry's type.
public func typedDirectoryEntries(_ path: String) -> [DirectoryEntry]? {
    guard let stream = opendir(path) else { return nil }
    defer { closedir(stream) }
    var entries: [DirectoryEntry] = []
    while let entry = readdir(stream) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { PathBytes.string($0.prefix { $0 != 0 }) }
        if name != "." && name != ".." { entries.append(DirectoryEntry(name: name, type: Int(entry.pointee.d_type))) }
    }
    return entries
}

/// The type bits (S_IFMT) of what `path` names, following links; nil when nothing is there.
public func fileType(_ path: String) -> mode_t? {
    var status = stat()
    guard stat(path, &status) == 0 else { return nil }
    return status.st_mode & S_IFMT
}

@discardableResult
public func unlink(_ path: String) -> Int32 {
    PathBytes.withCString(path) { Glibc.unlink($0) }
}

@discardableResult
public func chmod(_ path: String, _ mode: mode_t) -> Int32 {
    PathBytes.withCString(path) { Glibc.chmod($0, mode) }
}
