/// A device number split the way newc headers and `mknod` want it.
public struct DeviceNumber: Hashable, Sendable {
    public var major: UInt32
    public var minor: UInt32

    public init(major: UInt32, minor: UInt32) {
        self.major = major
        self.minor = minor
    }
}

extension DeviceNumber {
    /// Splits a `dev_t` (`st_dev`, `st_rdev`) as glibc's `major()` and `minor()` do.
    public init(combined device: UInt64) {
        major = UInt32(truncatingIfNeeded: ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff))
        minor = UInt32(truncatingIfNeeded: (device & 0xff) | ((device >> 12) & ~0xff))
    }

    /// The `dev_t` value, as glibc's `makedev()` builds it.
    public var combined: UInt64 {
        let major = UInt64(self.major), minor = UInt64(self.minor)
        return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12) | ((major & ~0xfff) << 32)
    }
}

/// Which files on disk are the same inode, so they can be archived as one hardlink group.
public struct HardlinkIdentity: Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }
}

/// One member to be written into a cpio archive. Owner and group are always root.
public struct ArchiveEntry: Equatable, Sendable {
    /// Where a regular file's bytes come from.
    public enum Content: Equatable, Sendable {
        /// Read from this file on disk when the archive is written, in chunks.
        case source(RawPath)
        /// Small contents generated in memory.
        case bytes([UInt8])
    }

    public enum Kind: Equatable, Sendable {
        case directory
        case regularFile(Content)
        case symlink(target: RawPath)
        case characterDevice(DeviceNumber)
        case blockDevice(DeviceNumber)
        case fifo
    }

    /// Relative path inside the archive, without a leading `/` or `./`; the root directory is `.`.
    public var path: RawPath
    public var kind: Kind
    /// Permission bits, including setuid, setgid and sticky, without the file type bits.
    public var mode: UInt32
    /// Seconds since the epoch.
    public var modificationTime: Int64
    /// Regular files with the same identity are written as one hardlink group.
    public var hardlinkIdentity: HardlinkIdentity?

    public init(
        path: RawPath, kind: Kind, mode: UInt32, modificationTime: Int64 = 0,
        hardlinkIdentity: HardlinkIdentity? = nil
    ) {
        self.path = path
        self.kind = kind
        self.mode = mode
        self.modificationTime = modificationTime
        self.hardlinkIdentity = hardlinkIdentity
    }
}
