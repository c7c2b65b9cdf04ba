#if canImport(Glibc)
import Glibc
#endif
import Support

/// The output of an external decompressor (`zstd -dc` and friends) that reads a file from a
/// given offset to its end.
final class CommandSource: ByteSource {
    private let tool: String
    private let child: ChildProcess
    private let output: Int32
    /// Standard error, collected on the side so a chatty tool cannot block on a full pipe.
    private let errorBox = ByteBox()
    private let errorReader: Thread
    private var ended = false

    /// Starts `tool` with the file at `path`, positioned at `offset`, as its standard input.
    init(tool: String, arguments: [String], compression: String, path: String, offset: UInt64) throws {
        self.tool = tool
        let input = open(path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw ArchiveError.systemError("open", path) }
        defer { close(input) }
        guard lseek(input, off_t(offset), SEEK_SET) >= 0 else { throw ArchiveError.systemError("seek in", path) }

        let outputPipe = try CommandSource.pipe()
        guard let errorPipe = try? CommandSource.pipe() else {
            outputPipe.forEach { close($0) }
            throw ArchiveError.systemError("create a pipe for", tool)
        }
        do {
            child = try ChildProcess(
                executable: tool, arguments: arguments,
                descriptors: [0: input, 1: outputPipe[1], 2: errorPipe[1]])
        } catch {
            (outputPipe + errorPipe).forEach { close($0) }
            throw ArchiveError.toolMissing(tool: tool, purpose: "decompress \(compression) data")
        }
        close(outputPipe[1])
        close(errorPipe[1])
        output = outputPipe[0]
        let errorBox = self.errorBox
        errorReader = Thread {
            errorBox.bytes = readAll(fd: errorPipe[0])
            close(errorPipe[0])
        }
    }

    deinit {
        // Stopping early: closing our end makes the tool exit on its next write.
        if !ended {
            close(output)
            errorReader.join()
            child.wait()
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if ended { return 0 }
        while true {
            let count = Glibc.read(output, buffer.baseAddress, buffer.count)
            if count > 0 { return count }
            if count < 0 && errno == EINTR { continue }
            let readError = count < 0 ? errno : 0
            ended = true
            close(output)
            errorReader.join()
            let status = child.wait()
            if readError != 0 {
                throw ArchiveError.system(operation: "read output of", path: tool, errno: readError)
            }
            guard status == 0 else {
                throw ArchiveError.toolFailed(tool: tool, status: status, message: firstLine(errorBox.bytes))
            }
            return 0
        }
    }

    private static func pipe() throws -> [Int32] {
        do { return try makePipe() } catch {
            throw ArchiveError.systemError("create a pipe for", "decompressor")
        }
    }
}
