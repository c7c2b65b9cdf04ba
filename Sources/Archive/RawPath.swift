#if canImport(Glibc)
import Glibc
#endif

/// A file path held as the raw bytes the kernel sees.
///
/// Linux file names are byte strings and need not be valid UTF-8; a Swift `String` would replace
/// invalid bytes, so archive member names and source paths are kept as bytes end to end.
public struct RawPath: Hashable, Comparable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    public init(_ string: String) { bytes = Array(string.utf8) }

    public init(stringLiteral value: String) { self.init(value) }

    public var isEmpty: Bool { bytes.isEmpty }

    /// The path as text; bytes that are not valid UTF-8 become U+FFFD. Meant for messages.
    public var description: String { String(decoding: bytes, as: UTF8.self) }

    /// The path as text, or nil when it is not valid UTF-8.
    public var string: String? { String(validating: bytes, as: UTF8.self) }

    /// Byte-wise order, which is what `sort` gives in the C locale.
    public static func < (lhs: RawPath, rhs: RawPath) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    /// The components between slashes, without empty ones (so `a//b/` gives `a`, `b`).
    public var components: [RawPath] {
        bytes.split(separator: UInt8(ascii: "/")).map { RawPath(bytes: Array($0)) }
    }

    /// The path of the containing directory: `.` for a top-level name, nil for `.` itself.
    public var parent: RawPath? {
        if bytes == [UInt8(ascii: ".")] || bytes.isEmpty { return nil }
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        return RawPath(bytes: Array(bytes[..<slash]))
    }

    public func appending(_ component: RawPath) -> RawPath {
        if bytes.isEmpty { return component }
        return RawPath(bytes: bytes + [UInt8(ascii: "/")] + component.bytes)
    }

    /// Calls `body` with a NUL-terminated copy of the path.
    public func withCString<Result>(_ body: (UnsafePointer<CChar>) throws -> Result) rethrows -> Result {
        try (bytes + [0]).withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }

    /// Whether the path matches a shell pattern the way cpio matches its arguments
    /// (fnmatch without FNM_PATHNAME, so `*` also matches `/`).
    public func matches(pattern: RawPath) -> Bool {
        pattern.withCString { patternPointer in
            withCString { fnmatch(patternPointer, $0, 0) == 0 }
        }
    }
}
