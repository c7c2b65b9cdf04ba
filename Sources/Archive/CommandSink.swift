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
    private let tool: ExternalTool
    private var input: Int32

    /// Starts `tool`; `finish()` waits for it and reports a failure.
    public init(tool: String, arguments: [String], outputFileDescriptor: Int32) throws {
        var sockets: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sockets) == 0 else {
            throw ArchiveError.systemError("create a socket pair for", tool)
        }
        // The tool only reads; closing its sending direction lets it see the end of input.
        shutdown(sockets[1], Int32(SHUT_WR))
        defer { close(sockets[1]) }
        do {
            self.tool = try ExternalTool(
                tool, arguments: arguments, standardInput: sockets[1],
                standardOutput: outputFileDescriptor, purpose: "compress with \(tool)")
        } catch {
            close(sockets[0])
            throw error
        }
        input = sockets[0]
    }

    /// Dropped before `finish()`: the output is being thrown away (an error, a signal), so the
    /// tool is stopped rather than left to compress everything it was sent.
    deinit {
        if input >= 0 {
            close(input)
            tool.stop()
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard input >= 0 else { throw ArchiveError.misuse("write to '\(tool.name)' after it was finished") }
        var offset = 0
        while offset < bytes.count {
            let sent = send(input, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if sent < 0 {
                if errno == EINTR { continue }
                let sendError = errno
                try finishChild()
                throw ArchiveError.system(operation: "write to", path: tool.name, errno: sendError)
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
        try tool.waitForSuccess()
    }
}

/// An external compressor or decompressor: started with the descriptors it reads and writes,
/// its standard error collected on a thread (a chatty tool cannot block on a full pipe), and its
/// exit status turned into an error naming the tool and the first line it printed.
final class ExternalTool {
    let name: String
    private let child: ChildProcess
    private let errorOutput = ErrorOutput()
    private let errorReader: Thread
    private var exitStatus: Int32?

    /// Lets the reader thread hand the bytes back.
    private final class ErrorOutput: @unchecked Sendable {
        var bytes: [UInt8] = []
    }

    /// The caller keeps and closes its own copies of `standardInput` and `standardOutput`.
    init(_ name: String, arguments: [String], standardInput: Int32, standardOutput: Int32, purpose: String) throws {
        self.name = name
        let errorPipe: [Int32]
        do { errorPipe = try makePipe() } catch { throw ArchiveError.systemError("create a pipe for", name) }
        do {
            child = try ChildProcess(
                executable: name, arguments: arguments,
                descriptors: [0: standardInput, 1: standardOutput, 2: errorPipe[1]])
        } catch {
            errorPipe.forEach { close($0) }
            throw ArchiveError.toolMissing(tool: name, purpose: purpose)
        }
        close(errorPipe[1])
        let errorOutput = self.errorOutput
        errorReader = Thread {
            errorOutput.bytes = readAll(fd: errorPipe[0])
            close(errorPipe[0])
        }
    }

    /// Waits for the tool, once; its input must be closed by now.
    @discardableResult
    func wait() -> Int32 {
        if let exitStatus { return exitStatus }
        errorReader.join()
        let status = child.wait()
        exitStatus = status
        return status
    }

    /// Ends the tool at once (its output is not wanted) and waits for it.
    func stop() {
        if exitStatus == nil { kill(child.pid, SIGTERM) }
        wait()
    }

    /// Waits for the tool and throws if it failed.
    func waitForSuccess() throws {
        let status = wait()
        guard status == 0 else {
            let message = String(decoding: errorOutput.bytes.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
            throw ArchiveError.toolFailed(tool: name, status: status, message: message)
        }
    }
}
