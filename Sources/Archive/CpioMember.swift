/// One member as read from a newc archive.
public struct CpioMember: Equatable, Sendable {
    public enum FileType: Equatable, Sendable {
        case regular, directory, symlink, characterDevice, blockDevice, fifo, socket
        /// Type bits that name no known file type.
        case unknown(UInt32)
    }

    public var path: RawPath
    /// Type and permission bits, as in `st_mode`.
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var linkCount: UInt32
    public var modificationTime: Int64
    /// Size of the data stored for this member (0 on all but one member of a hardlink group).
    public var size: UInt64
    public var inode: UInt32
    /// The device the file came from.
    public var device: DeviceNumber
    /// For device nodes, the device they stand for.
    public var representedDevice: DeviceNumber
    /// Present in 070702 ("crc") archives: the sum of the data bytes.
    public var checksum: UInt32?
    /// For symlinks, the target (the member's data).
    public var symlinkTarget: RawPath?

    public var permissions: UInt32 { mode & 0o7777 }

    public var fileType: FileType {
        switch mode & fileTypeMask {
        case fileTypeRegular: return .regular
        case fileTypeDirectory: return .directory
        case fileTypeSymlink: return .symlink
        case fileTypeCharacterDevice: return .characterDevice
        case fileTypeBlockDevice: return .blockDevice
        case fileTypeFIFO: return .fifo
        case fileTypeSocket: return .socket
        case let bits: return .unknown(bits)
        }
    }
}
