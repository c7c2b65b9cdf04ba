#if canImport(Glibc)
import Glibc
#endif
import Archive
import Foundation

/// What dracut does to the tree just before the archive, applied to the entries instead:
/// identical files become one hardlink group (`hardlink $initdir`), and modification times are
/// clamped so that two builds give the same bytes (`--reproducible`, SOURCE_DATE_EPOCH).
public enum ArchivePolish {
    /// Gives regular files with the same size, mode, time and content one hardlink identity, as
    /// util-linux hardlink does by default. Content is compared only within same-size groups.
    public static func linkIdenticalFiles(_ entries: inout [ArchiveEntry]) throws {
        struct Key: Hashable { let size: Int, mode: UInt32, time: Int64 }
        var candidates: [Key: [Int]] = [:]
        for (index, entry) in entries.enumerated() {
            guard case .regularFile(.source(let path)) = entry.kind, let size = fileSize(path), size > 0 else { continue }
            candidates[Key(size: size, mode: entry.mode, time: entry.modificationTime), default: []].append(index)
        }
        for group in candidates.values where group.count > 1 {
            var representatives: [(contents: Data, index: Int)] = []
            for index in group {
                guard case .regularFile(.source(let path)) = entries[index].kind,
                    let contents = FileManager.default.contents(atPath: path.description)
                else { continue }
                if let match = representatives.first(where: { $0.contents == contents }) {
                    entries[index].hardlinkIdentity = identity(for: entries[match.index], at: match.index)
                    entries[match.index].hardlinkIdentity = entries[index].hardlinkIdentity
                } else {
                    representatives.append((contents, index))
                }
            }
        }
    }

    /// Clamps every modification time to `limit`.
    public static func clampTimes(_ entries: inout [ArchiveEntry], to limit: Int64) {
        for index in entries.indices where entries[index].modificationTime > limit {
            entries[index].modificationTime = limit
        }
    }

    private static func identity(for entry: ArchiveEntry, at index: Int) -> HardlinkIdentity {
        // Reuse an existing on-disk identity; otherwise one that no inode of a real device has.
        entry.hardlinkIdentity ?? HardlinkIdentity(device: UInt64.max, inode: UInt64(index))
    }

    private static func fileSize(_ path: RawPath) -> Int? {
        var status = stat()
        guard path.withCString({ stat($0, &status) }) == 0 else { return nil }
        return Int(status.st_size)
    }
}
