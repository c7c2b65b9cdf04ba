import Support

/// Buffered standard output for bytes; listings are built from raw member names.
final class StandardOutput {
    private var buffer: [UInt8] = []

    func write(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 64 * 1024 { flush() }
    }

    func write(_ text: String) { write(text.utf8) }

    func writeLine(_ text: String = "") { write(text + "\n") }

    func flush() {
        guard !buffer.isEmpty else { return }
        writeAll(fd: 1, buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
