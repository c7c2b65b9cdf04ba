/// The library index ldconfig writes to /etc/ld.so.cache, which glibc's loader consults before its
/// default directories: soname -> path, in the order ldconfig's priorities put them.
///
/// Reads the "glibc-ld.so.cache1.1" format, alone (ldconfig's default since glibc 2.32) or after the
/// old "ld.so-1.7.0" table (the "compat" layout). Its string offsets count from the start of the
/// new-format header; its byte order is given by the header's flags. Entries that are glibc-hwcaps
/// or legacy hwcap subdirectory variants (a non-zero hwcap field) are kept apart from the baseline.
struct LoaderCache {
    struct Entry: Equatable {
        let soname: String
        let path: String
        /// The entry is a CPU-specific variant (glibc-hwcaps/x86-64-v3/..., or a legacy hwcap directory).
        let isHardwareCapabilityVariant: Bool
    }

    private static let newMagic = Array("glibc-ld.so.cache1.1".utf8)
    private static let oldMagic = Array("ld.so-1.7.0".utf8) + [0]
    private static let newHeaderSize = 48
    private static let newEntrySize = 24
    private static let oldEntrySize = 12

    /// Every entry, in file order.
    let entries: [Entry]
    private let entriesBySoname: [String: [Entry]]

    /// Nil when the bytes are not a cache in a format this reader knows.
    init?(bytes: [UInt8]) {
        guard let start = Self.newFormatStart(in: bytes) else { return nil }
        guard bytes.count - start >= Self.newHeaderSize else { return nil }
        let flagsOffset = start + 28
        // 2 = little-endian, 3 = big-endian; 0 (unset) means the writer's own order, taken to be ours.
        let endianness: ELFFile.Endianness =
            bytes[flagsOffset] == 3 || (bytes[flagsOffset] == 0 && 1.bigEndian == 1) ? .big : .little
        let decoder = ByteDecoder(bytes: bytes, endianness: endianness, wordSize: 8)
        let count = Int(decoder.uint32(at: start + 20))
        guard count <= (bytes.count - start - Self.newHeaderSize) / Self.newEntrySize else { return nil }

        var entries: [Entry] = []
        entries.reserveCapacity(count)
        for index in 0..<count {
            let base = start + Self.newHeaderSize + index * Self.newEntrySize
            let key = Int(decoder.uint32(at: base + 4))
            let value = Int(decoder.uint32(at: base + 8))
            let hardwareCapabilities = decoder.word(at: base + 16)
            guard let soname = Self.string(in: bytes, at: start + key),
                let path = Self.string(in: bytes, at: start + value), path.hasPrefix("/")
            else { continue }
            entries.append(Entry(soname: soname, path: path, isHardwareCapabilityVariant: hardwareCapabilities != 0))
        }
        self.entries = entries
        self.entriesBySoname = Dictionary(grouping: entries, by: \.soname)
    }

    /// The paths recorded for `soname`: baseline entries first, in cache order, then CPU variants
    /// (only useful when a library exists in no other form).
    func paths(for soname: String) -> [String] {
        let matches = entriesBySoname[soname] ?? []
        return matches.filter { !$0.isHardwareCapabilityVariant }.map(\.path)
            + matches.filter(\.isHardwareCapabilityVariant).map(\.path)
    }

    private static func newFormatStart(in bytes: [UInt8]) -> Int? {
        if bytes.starts(with: newMagic) { return 0 }
        guard bytes.starts(with: oldMagic), bytes.count >= 16 else { return nil }
        let oldCount = Int(ByteDecoder(bytes: bytes, endianness: .little, wordSize: 4).uint32(at: 12))
        guard oldCount <= (bytes.count - 16) / oldEntrySize else { return nil }
        // The new table follows the old one, aligned to 8 bytes.
        let start = (16 + oldCount * oldEntrySize + 7) & ~7
        guard start <= bytes.count, bytes[start...].starts(with: newMagic) else { return nil }
        return start
    }

    private static func string(in bytes: [UInt8], at offset: Int) -> String? {
        guard offset >= 0, offset < bytes.count, let end = bytes[offset...].firstIndex(of: 0), end > offset else {
            return nil
        }
        return String(decoding: bytes[offset..<end], as: UTF8.self)
    }
}
