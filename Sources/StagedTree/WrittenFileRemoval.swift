import Archive
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Unlinks the staged files the archive writer is done with, on a thread of its own, while the
/// writer goes on: freeing the pages of a large tree (45 ms for 176 MB of kernel modules) then
/// overlaps writing the image instead of following it. The staging directory's own removal takes
/// what is left: the directories, and any file handed over after `finish`.
///
/// Only for a build that reads nothing of the tree once its archive is written (no --keep, no
/// UEFI executable, which takes files from the tree).
public final class WrittenFileRemoval: @unchecked Sendable {
    private let queue = DispatchQueue(label: "kindling.written-file-removal")
    /// The image root with a trailing "/": only a file below it is removed.
    private let rootPrefix: [UInt8]

    public init(imageRoot: String) {
        rootPrefix = Array((imageRoot.hasSuffix("/") ? imageRoot : imageRoot + "/").utf8)
    }

    /// Hands over an entry the writer has written: its staged file, if it has one, is unlinked.
    /// A file that cannot be unlinked is left to the staging directory's removal.
    public func writerIsDone(with entry: ArchiveEntry) {
        guard case .regularFile(.source(let source)) = entry.kind, source.bytes.starts(with: rootPrefix) else { return }
        queue.async { _ = source.withCString { unlink($0) } }
    }

    /// Waits for every unlink handed over so far.
    public func finish() {
        queue.sync {}
    }
}
