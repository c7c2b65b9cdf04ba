#if canImport(Glibc)
import Glibc
#endif
import Support
import UnifiedKernelImage

/// A unified kernel image given to lsinitrd: its sections are described, and its .initrd is
/// copied into a temporary file that the listing and unpacking read as any image.
final class UnifiedKernelImageFile {
    let file: PEFile
    var path: String { file.path }
    var image: PEImage { file.image }

    /// Nil when the file is not a PE image.
    init?(path: String) {
        guard let file = PEFile(path: path) else { return nil }
        self.file = file
    }

    /// The lines lsinitrd prints before the archive's listing, as dracut-ng's: the OS release, the
    /// kernel's version and the command line, then each section's name and size.
    func summary() throws -> [String] {
        var lines: [String] = []
        if let osRelease = try text(of: ".osrel") {
            let fields = Self.fields(osRelease)
            lines.append("OS Release: \(fields["PRETTY_NAME"] ?? "") (\(fields["ID"] ?? "")-\(fields["BUILD_ID"] ?? ""))")
        }
        if let version = try kernelVersion() { lines.append("Kernel Version: \(version)") }
        if let commandLine = try text(of: ".cmdline") {
            lines.append("Command line:")
            lines += commandLine.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\0" })
                .map(String.init)
        }
        lines.append("Sections:")
        for section in image.sections {
            let size = image.extent(of: section).length
            lines.append("  " + section.name + String(repeating: " ", count: max(1, 10 - section.name.count)) + "\(size)")
        }
        return lines
    }

    /// Copies .initrd into a new file in `directory`; the caller removes it.
    func extractInitrd(into directory: String) throws -> String {
        guard let section = image.section(named: ".initrd") else { throw LsinitrdFailure("\(path): a UEFI executable without an .initrd section") }
        var template = Array("\(directory)/kindling-lsinitrd-initrd.XXXXXX".utf8CString)
        let output = template.withUnsafeMutableBufferPointer { GNUCalls.mkostempCloseOnExec($0.baseAddress!) }
        guard output >= 0 else { throw LsinitrdFailure("cannot create a temporary file in \(directory): \(systemErrorDescription())") }
        defer { close(output) }
        let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        TemporaryFileRemoval.register(temporary)
        var failure = ""
        let copied = file.forEachChunk(of: section) { chunk in
            guard writeAll(fd: output, chunk) else {
                failure = "cannot write \(temporary): \(systemErrorDescription())"
                return false
            }
            return true
        }
        guard copied else { throw LsinitrdFailure(failure.isEmpty ? "\(path): cannot read its .initrd" : failure) }
        return temporary
    }

    private func bytes(of section: PESection, limit: Int = 1 << 20) throws -> [UInt8] {
        guard let bytes = file.contents(of: section, limit: limit) else { throw LsinitrdFailure("\(path): cannot read its \(section.name)") }
        return bytes
    }

    private func text(of name: String) throws -> String? {
        guard let section = image.section(named: name) else { return nil }
        return String(decoding: try bytes(of: section), as: UTF8.self)
    }

    /// The version string a bzImage's setup header points to (the boot protocol's kernel_version).
    private func kernelVersion() throws -> String? {
        guard let section = image.section(named: ".linux") else { return nil }
        let setup = try bytes(of: section, limit: 0x8000)
        guard setup.count > 0x210, Array(setup[0x202..<0x206]) == Array("HdrS".utf8) else { return nil }
        let start = (Int(setup[0x20E]) | Int(setup[0x20F]) << 8) + 0x200
        guard start < setup.count else { return nil }
        return String(decoding: setup[start...].prefix { $0 != 0 }, as: UTF8.self)
    }

    /// os-release's KEY=value lines, the value's quotes taken off.
    static func fields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            var value = line[line.index(after: equals)...]
            if let first = value.first, first == "\"" || first == "'", value.count >= 2, value.last == first {
                value = value.dropFirst().dropLast()
            }
            fields[String(line[..<equals])] = String(value)
        }
        return fields
    }
}

/// One line for standard error, naming the file.
struct LsinitrdFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The extracted .initrd is removed at exit, and on SIGINT, SIGTERM and SIGHUP too.
enum TemporaryFileRemoval {
    nonisolated(unsafe) private static var path: UnsafeMutablePointer<CChar>?

    static func register(_ temporary: String) {
        path = strdup(temporary)
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber) { received in
                if let path = TemporaryFileRemoval.path { unlink(path) }
                signal(received, SIG_DFL)
                raise(received)
            }
        }
    }

    static func remove() {
        if let path { unlink(path) }
    }
}
