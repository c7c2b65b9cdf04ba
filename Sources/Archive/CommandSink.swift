#if canImport(Glibc)
import Glibc
#endif
import Support

/// Pipes bytes through an external compressor (`zstd -q -T0`, `xz --check=crc32`, ...) whose
/// standard output goes straight to a file descriptor, for formats without a built-in encoder.
///
/// The bytes travel over a socket pair rather than a pipe, so a compressor that dies early
/// makes `write` fail with an error instead of killing this process with SIGPIPE. The tool writes
/// to the descriptor itself: flush a `FileSink` on the same descriptor before starting it.
public final class CommandSink: ByteSink {
    private let tool: String
    private let child: ChildProcess
    private var input: Int32
    /// Standard error, collected on the side so a chatty tool cannot block on a full pipe.
    private let errorBox = ByteBox()
    private let errorReader: Thread

    /// Starts `tool`; `finish()` waits for it and reports a failure.
    public init(tool: String, arguments: [String], outputFileDescriptor: Int32) throws {
        self.tool = tool
        var sockets: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sockets) == 0 else {
            throw ArchiveError.systemError("create a socket pair for", tool)
        }
        // The tool only reads; closing its sending direction lets it see the end of input.
        shutdown(sockets[1], Int32(SHUT_WR))
        let errorPipe: [Int32]
        do { errorPipe = try makePipe() } catch {
            sockets.forEach { close($0) }
            throw ArchiveError.systemError("create a pipe for", tool)
        }
        do {
            child = try ChildProcess(
                executable: tool, arguments: arguments,
                descriptors: [0: sockets[1], 1: outputFileDescriptor, 2: errorPipe[1]])
        } catch {
            (sockets + errorPipe).forEach { close($0) }
            throw ArchiveError.toolMissing(tool: tool, purpose: "compress with \(tool)")
        }
        close(sockets[1])
        close(errorPipe[1])
        input = sockets[0]
        let errorBox = self.errorBox
        errorReader = Thread {
            errorBox.bytes = readAll(fd: errorPipe[0])
            close(errorPipe[0])
        }
    }

    deinit {
        if input >= 0 {
            close(input)
            errorReader.join()
            child.wait()
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard input >= 0 else { throw ArchiveError.misuse("write to '\(tool)' after it was finished") }
        var offset = 0
        while offset < bytes.count {
            let sent = send(input, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if sent < 0 {
                if errno == EINTR { continue }
                let sendError = errno
                try finishChild()
                throw ArchiveError.system(operation: "write to", path: tool, errno: sendError)
            }
            offset += sent
        }
    }

    public func finish() throws {
        guard input >= 0 else { return }
        try finishChild()
    }

    /// Closes the tool's input, waits for it, and turns a non-zero exit into an error.
    private func finishChild() throws {
        close(input)
        input = -1
        errorReader.join()
        let status = child.wait()
        guard status == 0 else {
            throw ArchiveError.toolFailed(tool: tool, status: status, message: firstLine(errorBox.bytes))
        }
    }
}

/// Lets a standard-error reader thread hand its bytes back.
final class ByteBox: @unchecked Sendable {
    var bytes: [UInt8] = []
}

/// The first line of a tool's message, for a one-line error.
func firstLine(_ bytes: [UInt8]) -> String {
    String(decoding: bytes.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
}
