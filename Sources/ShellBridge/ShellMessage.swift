#if canImport(Glibc)
import Glibc
#endif
import Support

/// A call of a dracut helper, made by module code in the shell.
public struct HelperRequest: Equatable, Sendable {
    public var helper: String
    public var arguments: [String]
    /// `hostonly` as the caller saw it: modules override it per call, as in `hostonly='' instmods x`.
    public var hostonly: String
    /// `dracutsysrootdir` as the caller saw it, which dracut hands dracut-install as its `-r`:
    /// squash's loader installs from the moved tree with `dracutsysrootdir="$squash_dir" inst ...`.
    /// Nil: the build's sysroot.
    public var sysroot: String?
    /// `DRACUT_RESOLVE_DEPS` was set (not empty) for the call, dracut-install's `-l`: the files'
    /// libraries go in now, even before the lazy pass would install them.
    public var resolvesDependencies: Bool
    /// `dstdir` as the caller saw it, dracut-install's `-D`: the tree the call installs into
    /// instead of the image (dracut-ng's squash-lib builds its loader in `$squashdir`). Nil or
    /// empty: the image.
    public var destination: String?

    public init(
        helper: String, arguments: [String], hostonly: String = "", sysroot: String? = nil,
        resolvesDependencies: Bool = false, destination: String? = nil
    ) {
        self.destination = destination
        self.helper = helper
        self.arguments = arguments
        self.hostonly = hostonly
        self.sysroot = sysroot
        self.resolvesDependencies = resolvesDependencies
    }
}

/// The engine's answer to a helper call: the helper's return status and what it prints.
public struct HelperReply: Equatable, Sendable {
    public var status: Int32
    public var output: String

    public init(status: Int32 = 0, output: String = "") {
        self.status = status
        self.output = output
    }

    public static let success = HelperReply()
    public static let failure = HelperReply(status: 1)
}

/// One message from the shim to the engine.
public enum ShellMessage: Equatable, Sendable {
    case request(HelperRequest)
    case program(ProgramCall)
    case log(level: Int, line: String)
    case done(status: Int32, output: String)
}

public struct ShellProtocolError: Error, CustomStringConvertible {
    public let description: String
}

extension ShellMessage {
    /// Decodes the fields of one message: KIND, COUNT, then COUNT fields (already split at NUL).
    init(kind: String, fields: [String]) throws {
        switch kind {
        case "REQ":
            // HELPER HOSTONLY SYSROOT RESOLVE_DEPS DSTDIR ARG...: the caller's variables that
            // dracut's helpers hand dracut-install, then the arguments.
            guard fields.count >= 5 else { throw ShellProtocolError(description: "shim request without a helper name") }
            self = .request(
                HelperRequest(
                    helper: fields[0], arguments: Array(fields[5...]), hostonly: fields[1], sysroot: fields[2],
                    resolvesDependencies: !fields[3].isEmpty, destination: fields[4].isEmpty ? nil : fields[4]))
        case "RUN":
            // PID PATH PROGRAM ARG...: the calling shell's process and PATH, and the program's
            // command line.
            guard fields.count >= 3, let pid = pid_t(fields[0]) else {
                throw ShellProtocolError(description: "malformed shim program call")
            }
            self = .program(
                ProgramCall(program: fields[2], arguments: Array(fields[3...]), caller: pid, searchPath: fields[1]))
        case "LOG":
            guard fields.count == 2, let level = Int(fields[0]) else {
                throw ShellProtocolError(description: "malformed shim log message")
            }
            self = .log(level: level, line: fields[1])
        case "DONE":
            guard fields.count == 2, let status = Int32(fields[0]) else {
                throw ShellProtocolError(description: "malformed shim completion message")
            }
            self = .done(status: status, output: fields[1])
        default:
            throw ShellProtocolError(description: "unknown shim message kind '\(kind)'")
        }
    }
}

/// Splits the shim's byte stream into messages. Fields are NUL-terminated byte strings; bytes
/// that are not UTF-8 (file names) are kept through `PathBytes`. Linear in what arrives: the
/// fields of a message that is not complete yet are kept, and the search for the next NUL goes
/// on from where it stopped, so a huge field arriving in many chunks is scanned once.
struct ShellMessageDecoder {
    private var buffer: [UInt8] = []
    /// Where the next field starts; the bytes before it are decoded (or consumed) already.
    private var start = 0
    /// Where the search for the next NUL goes on (at or after `start`).
    private var scanned = 0
    /// The fields decoded so far of the message being read, and its field count once known.
    private var parsed: [String] = []
    private var expected: Int?
    /// Every byte searched for a NUL so far, for the tests that prove the work is linear.
    private(set) var bytesScanned = 0

    mutating func append(_ bytes: some Collection<UInt8>) {
        // Drop what is consumed before growing, at most once per chunk: amortised linear.
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            scanned -= start
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Returns the next complete message, or nil when more bytes are needed.
    mutating func nextMessage() throws -> ShellMessage? {
        while expected.map({ parsed.count < $0 + 2 }) ?? true {
            guard let end = buffer[scanned...].firstIndex(of: 0) else {
                bytesScanned += buffer.count - scanned
                scanned = buffer.count
                return nil
            }
            bytesScanned += end + 1 - scanned
            parsed.append(PathBytes.string(buffer[start..<end]))
            start = end + 1
            scanned = start
            if parsed.count == 2 {
                guard let count = Int(parsed[1]), count >= 0, count < 1_000_000 else {
                    throw ShellProtocolError(description: "malformed shim message header '\(parsed[0])' '\(parsed[1])'")
                }
                expected = count
            }
        }
        let fields = parsed
        parsed = []
        expected = nil
        return try ShellMessage(kind: fields[0], fields: Array(fields[2...]))
    }
}

/// Encodes engine-to-shim fields; the shim reads each with `read -d ''`.
enum ShellCommandEncoder {
    static func encode(_ fields: [String]) -> [UInt8] {
        var bytes: [UInt8] = []
        for field in fields {
            bytes.append(contentsOf: PathBytes.bytes(field).filter { $0 != 0 })
            bytes.append(0)
        }
        return bytes
    }

    /// `fields`, then `body` after its length in bytes: the shim reads the body with one
    /// `read -N` (`__kindling_receive_body`), where `read -d ''` reads a pipe a byte at a time
    /// (the module list a build declares is 14 KB).
    static func encode(_ fields: [String], body: String) -> [UInt8] {
        encode(fields, body: PathBytes.bytes(body))
    }

    static func encode(_ fields: [String], body: [UInt8]) -> [UInt8] {
        let bodyBytes = body.filter { $0 != 0 }
        return encode(fields + [String(bodyBytes.count)]) + bodyBytes
    }
}
