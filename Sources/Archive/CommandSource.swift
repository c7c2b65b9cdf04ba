#if canImport(Glibc)
import Glibc
#endif
import Support

/// The output of an external decompressor (`zstd -dc` and friends) that reads a file from a
/// given offset to its end.
final class CommandSource: ByteSource {
    private let tool: ExternalTool
    private let output: Int32
    private var ended = false

    /// Starts `tool` with the file at `path`, positioned at `offset`, as its standard input.
    init(tool: String, arguments: [String], compression: String, path: String, offset: UInt64) throws {
        let input = open(path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw ArchiveError.systemError("open", path) }
        defer { close(input) }
        guard lseek(input, off_t(offset), SEEK_SET) >= 0 else { throw ArchiveError.systemError("seek in", path) }

        let outputPipe = try CommandSource.pipe()
        defer { close(outputPipe[1]) }
        do {
            self.tool = try ExternalTool(
                tool, arguments: arguments, standardInput: input,
                standardOutput: outputPipe[1], purpose: "decompress \(compression) data")
        } catch {
            close(outputPipe[0])
            throw error
        }
        output = outputPipe[0]
    }

    deinit {
        // Stopping early: closing our end makes the tool exit on its next write.
        if !ended {
            close(output)
            tool.wait()
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
            if readError != 0 {
                tool.wait()
                throw ArchiveError.system(operation: "read output of", path: tool.name, errno: readError)
            }
            try tool.waitForSuccess()
            return 0
        }
    }

    private static func pipe() throws -> [Int32] {
        do { return try makePipe() } catch {
            throw ArchiveError.systemError("create a pipe for", "decompressor")
        }
    }
}
