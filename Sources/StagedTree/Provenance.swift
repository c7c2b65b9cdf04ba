#if canImport(Glibc)
import Glibc
#endif
import Archive
import ImageMap

/// Which part of the build put a path into the image: a module and the step it took, such as
/// `inst_multiple cat ls`, or Kindling itself (module "kindling") and the phase.
public struct Provenance: Hashable, Sendable {
    public var module: String
    public var step: String

    public init(module: String, step: String) {
        self.module = module
        self.step = step
    }

    /// Kindling's own work, outside any module.
    public static func engine(_ step: String) -> Provenance { Provenance(module: "kindling", step: step) }
}

/// Remembers which step first put each path into the staged tree, for `--explain`.
///
/// The tree is compared with what was there before after every step, so files that module code
/// writes with plain shell commands are caught as surely as those that helpers install.
public final class ProvenanceRecorder {
    public let root: String
    private var origins: [RawPath: Provenance] = [:]

    public init(root: String) { self.root = root }

    /// Gives `provenance` to every path that appeared since the previous call.
    public func attributeNewPaths(to provenance: Provenance) {
        forEachPath { path in
            if origins[path] == nil { origins[path] = provenance }
        }
    }

    /// A file that replaced another under a compressor's suffix (a module compressing its kernel
    /// modules) is credited to the step that installed the original, and to the compressing step.
    public func provenance(of path: RawPath) -> Provenance? {
        guard let recorded = origins[path] else { return nil }
        for suffix in Self.compressionSuffixes where path.bytes.count > suffix.count && path.bytes.suffix(suffix.count).elementsEqual(suffix) {
            let original = RawPath(bytes: Array(path.bytes.dropLast(suffix.count)))
            if let first = origins[original], first != recorded {
                return Provenance(module: first.module, step: "\(first.step), compressed by \(recorded.module) \(recorded.step)")
            }
        }
        return recorded
    }

    private static let compressionSuffixes = [".xz", ".zst", ".gz"].map { Array($0.utf8) }

    /// Every path under the root, relative to it, found by readdir alone (no stat) to stay cheap.
    private func forEachPath(_ body: (RawPath) -> Void) {
        func walk(_ relative: RawPath) {
            let location = relative.isEmpty ? RawPath(root) : RawPath(root).appending(relative)
            guard let stream = location.withCString({ opendir($0) }) else { return }
            defer { closedir(stream) }
            while let entry = readdir(stream) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
                if name == [46] || name == [46, 46] { continue }
                let path = relative.appending(RawPath(bytes: name))
                body(path)
                if entry.pointee.d_type == UInt8(DT_DIR) { walk(path) }
            }
        }
        walk(RawPath(bytes: []))
    }
}

/// The `--explain` record: each path of the image with its size and the step that put it there.
/// It is written as text (for each module the bytes it brought, then one tab-separated line per
/// path, so it sorts and greps well) and as a map (`--explain-svg`), both from the same rows.
public struct ProvenanceReport {
    public struct Row: Sendable {
        /// Bytes before compression: a regular file's size, 0 for anything else and for every
        /// hardlink to a file already counted.
        public let size: Int
        public let path: RawPath
        public let origin: Provenance
    }

    public let rows: [Row]
    public let imageName: String
    /// Lines about the build as a whole (which kdump image it made), printed under the title.
    public let notes: [String]

    public init(entries: [ArchiveEntry], recorder: ProvenanceRecorder, imageName: String, notes: [String] = []) {
        var rows: [Row] = []
        var counted = Set<HardlinkIdentity>()
        for entry in entries where entry.path != "." {
            let origin = recorder.provenance(of: entry.path) ?? .engine("unrecorded")
            var size = 0
            if case .regularFile(.source(let location)) = entry.kind,
                entry.hardlinkIdentity.map({ counted.insert($0).inserted }) ?? true
            {
                var status = stat()
                if location.withCString({ lstat($0, &status) }) == 0 { size = Int(status.st_size) }
            }
            rows.append(Row(size: size, path: entry.path, origin: origin))
        }
        self.rows = rows
        self.imageName = imageName
        self.notes = notes
    }

    public func render() -> [UInt8] {
        var totals: [String: (bytes: Int, files: Int)] = [:]
        for row in rows {
            var total = totals[row.origin.module] ?? (0, 0)
            total.bytes += row.size
            total.files += 1
            totals[row.origin.module] = total
        }
        var text = "# Kindling --explain: where each path of \(imageName) came from\n"
        for note in notes { text += "# \(note)\n" }
        text += "# Bytes per module (before compression; a hardlinked file counts once):\n"
        for (module, total) in totals.sorted(by: { ($0.value.bytes, $1.key) > ($1.value.bytes, $0.key) }) {
            text += "#\t\(total.bytes)\t\(module)\t\(total.files) paths\n"
        }
        text += "# size\tpath\tmodule\tstep\n"
        var output = Array(text.utf8)
        for row in rows {
            output += Array("\(row.size)\t/".utf8) + Self.escaped(row.path.bytes)
            output += Array("\t\(row.origin.module)\t\(row.origin.step)\n".utf8)
        }
        return output
    }

    /// The same rows as a treemap: a top-level box per module, then directories, then files.
    public func imageMap() -> ImageMap {
        let entries = rows.map { ImageMapEntry(path: $0.path.bytes, size: $0.size, group: $0.origin.module, step: $0.origin.step) }
        return ImageMap(title: imageName, entries: entries)
    }

    /// Keeps the report one line per path: tabs, newlines and backslashes in names are escaped.
    static func escaped(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        for byte in bytes {
            switch byte {
            case 9: result += Array("\\t".utf8)
            case 10: result += Array("\\n".utf8)
            case 92: result += Array("\\\\".utf8)
            default: result.append(byte)
            }
        }
        return result
    }
}
