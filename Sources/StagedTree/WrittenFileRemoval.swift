import Archive
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Removes the staged tree while the image is written, on a thread of its own: each file, symlink
/// or node as soon as the archive writer is done with it (freeing the pages of a large tree, 45 ms
/// for 176 MB of kernel modules, then overlaps writing instead of following it), and the emptied
/// directories while the image is committed. The staging directory's own removal takes what is
/// left.
///
/// Only for a build that reads nothing of the tree once its archive is written (no --keep, no
/// UEFI executable, which takes files from the tree).
public final class WrittenFileRemoval: @unchecked Sendable {
    private let queue = DispatchQueue(label: "kindling.written-file-removal")
    private let root: RawPath
    /// The image root with a trailing "/": only what is below it is removed.
    private let rootPrefix: [UInt8]

    /// - Parameter imageRoot: the tree the entries were scanned from (`TreeScanner`).
    public init(imageRoot: String) {
        var trimmed = imageRoot
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        root = RawPath(trimmed)
        rootPrefix = Array((trimmed + "/").utf8)
    }

    /// Entries handed over while another process may still read the tree (depmod its modules).
    private var held: [ArchiveEntry]?

    /// Keeps what is handed over from now on in the tree until `release`.
    public func hold() { held = held ?? [] }

    /// Removes what was handed over while held, and from now on as it comes.
    public func release() {
        let entries = held ?? []
        held = nil
        for entry in entries { writerIsDone(with: entry) }
    }

    /// Hands over an entry the writer has written: what it is in the tree goes, unless it is a
    /// directory (see `removeDirectories`). What cannot be removed stays for the staging
    /// directory's removal.
    public func writerIsDone(with entry: ArchiveEntry) {
        if held != nil {
            held?.append(entry)
            return
        }
        let location: RawPath
        switch entry.kind {
        case .directory, .regularFile(.bytes):
            return
        case .regularFile(.source(let source)):
            location = source
        case .symlink, .characterDevice, .blockDevice, .fifo:
            location = root.appending(entry.path)
        }
        guard location.bytes.starts(with: rootPrefix) else { return }
        queue.async { _ = location.withCString { unlink($0) } }
    }

    /// Removes the directories among `entries` (in `TreeScanner`'s byte order, a directory before
    /// what it holds) once all that was handed over is gone: in reverse, so every directory after
    /// the ones in it, and the image root last.
    public func removeDirectories(of entries: [ArchiveEntry]) {
        let root = self.root, rootPrefix = self.rootPrefix
        let directories = entries.reversed().filter { $0.kind == .directory && $0.path != RawPath(".") }
            .map { root.appending($0.path) }
            .filter { $0.bytes.starts(with: rootPrefix) }
        queue.async {
            for directory in directories + [root] { _ = directory.withCString { rmdir($0) } }
        }
    }

    /// Waits for everything handed over so far.
    public func finish() {
        queue.sync {}
    }
}
