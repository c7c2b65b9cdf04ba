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
        link(&entries, madeUpDevice: UInt64.max)
    }

    /// Readies `later`, entries added to an archive whose `earlier` entries are settled (and
    /// may be written): links identical files among them when `linksIdenticalFiles`. Returns
    /// false, `later` unchanged, when one of them belongs in a hardlink group with an earlier
    /// entry: the same inode on disk, or with linking the same size, mode, time and content.
    public static func joinLateEntries(
        _ later: inout [ArchiveEntry], to earlier: [ArchiveEntry], linksIdenticalFiles: Bool
    ) -> Bool {
        let earlierIdentities = Set(earlier.compactMap(\.hardlinkIdentity))
        if later.contains(where: { $0.hardlinkIdentity.map(earlierIdentities.contains) ?? false }) { return false }
        guard linksIdenticalFiles else { return true }
        let keyed = later.compactMap { entry in key(of: entry).map { (key: $0, entry: entry) } }
        let laterKeys = Set(keyed.map(\.key))
        // Only earlier files with the mode and time of a late one are looked at further: few.
        let stamps = Set(keyed.map { Stamp(mode: $0.key.mode, time: $0.key.time) })
        for entry in earlier where stamps.contains(Stamp(mode: entry.mode, time: entry.modificationTime)) {
            guard let key = key(of: entry), laterKeys.contains(key), let contents = contents(of: entry) else { continue }
            if keyed.contains(where: { $0.key == key && self.contents(of: $0.entry) == contents }) { return false }
        }
        // Identities made up for these groups stay apart from those made up for `earlier`.
        link(&later, madeUpDevice: UInt64.max - 1)
        return true
    }

    private struct LinkKey: Hashable { let size: Int, mode: UInt32, time: Int64 }
    private struct Stamp: Hashable { let mode: UInt32, time: Int64 }

    private static func key(of entry: ArchiveEntry) -> LinkKey? {
        guard case .regularFile(.source(let path)) = entry.kind, let size = fileSize(path), size > 0 else { return nil }
        return LinkKey(size: size, mode: entry.mode, time: entry.modificationTime)
    }

    private static func contents(of entry: ArchiveEntry) -> Data? {
        guard case .regularFile(.source(let path)) = entry.kind else { return nil }
        return FileManager.default.contents(atPath: path.description)
    }

    /// A group without an identity on disk gets one on `madeUpDevice`, which no real device is.
    private static func link(_ entries: inout [ArchiveEntry], madeUpDevice: UInt64) {
        var candidates: [LinkKey: [Int]] = [:]
        for (index, entry) in entries.enumerated() {
            if let key = key(of: entry) { candidates[key, default: []].append(index) }
        }
        for group in candidates.values where group.count > 1 {
            var representatives: [(contents: Data, index: Int)] = []
            for index in group {
                guard let contents = contents(of: entries[index]) else { continue }
                if let match = representatives.first(where: { $0.contents == contents }) {
                    let identity =
                        entries[match.index].hardlinkIdentity
                        ?? HardlinkIdentity(device: madeUpDevice, inode: UInt64(match.index))
                    entries[index].hardlinkIdentity = identity
                    entries[match.index].hardlinkIdentity = identity
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

    private static func fileSize(_ path: RawPath) -> Int? {
        var status = stat()
        guard path.withCString({ stat($0, &status) }) == 0 else { return nil }
        return Int(status.st_size)
    }
}
