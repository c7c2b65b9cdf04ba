/// The SVR4 "newc" cpio header: a 6-byte magic and thirteen 8-digit hex fields (110 bytes),
/// followed by the NUL-terminated name; name and data are each padded to 4 bytes.
struct NewcHeader: Equatable {
    static let size = 110
    static let magic = Array("070701".utf8)
    /// The same layout with a checksum of the data bytes.
    static let checksumMagic = Array("070702".utf8)
    static let trailerName = Array("TRAILER!!!".utf8)

    var inode: UInt32 = 0
    var mode: UInt32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
    var linkCount: UInt32 = 0
    var modificationTime: UInt32 = 0
    var fileSize: UInt32 = 0
    var device = DeviceNumber(major: 0, minor: 0)
    var representedDevice = DeviceNumber(major: 0, minor: 0)
    /// Length of the name including its NUL.
    var nameSize: UInt32 = 0
    var checksum: UInt32 = 0
    var hasChecksum = false

    /// The fields in on-disk order, after the magic.
    private var fields: [UInt32] {
        [
            inode, mode, uid, gid, linkCount, modificationTime, fileSize,
            device.major, device.minor, representedDevice.major, representedDevice.minor,
            nameSize, checksum,
        ]
    }

    static let fieldNames = [
        "ino", "mode", "uid", "gid", "nlink", "mtime", "filesize",
        "devmajor", "devminor", "rdevmajor", "rdevminor", "namesize", "check",
    ]

    /// Header, name, NUL and the padding that brings them to a multiple of 4 bytes.
    func encoded(name: [UInt8]) -> [UInt8] {
        var bytes = hasChecksum ? NewcHeader.checksumMagic : NewcHeader.magic
        bytes.reserveCapacity(NewcHeader.size + name.count + 4)
        for field in fields { appendHex(field, to: &bytes) }
        bytes += name
        bytes.append(0)
        bytes += [UInt8](repeating: 0, count: paddingTo4(bytes.count))
        return bytes
    }

    /// Parses the 110 header bytes; `location` is only used in error messages.
    init(parsing bytes: UnsafeRawBufferPointer, location: @autoclosure () -> String) throws {
        precondition(bytes.count >= NewcHeader.size)
        let magic = Array(bytes[0..<6])
        if magic == NewcHeader.checksumMagic {
            hasChecksum = true
        } else if magic != NewcHeader.magic {
            throw ArchiveError.corrupt(what: "no newc cpio header (magic \(printable(magic)))", location: location())
        }
        var values: [UInt32] = []
        for index in 0..<13 {
            let start = 6 + index * 8
            guard let value = parseHex(bytes[start..<start + 8]) else {
                let text = printable(Array(bytes[start..<start + 8]))
                let field = NewcHeader.fieldNames[index]
                throw ArchiveError.corrupt(
                    what: "cpio header field \(field) is not hex (\(text))", location: location())
            }
            values.append(value)
        }
        inode = values[0]; mode = values[1]; uid = values[2]; gid = values[3]
        linkCount = values[4]; modificationTime = values[5]; fileSize = values[6]
        device = DeviceNumber(major: values[7], minor: values[8])
        representedDevice = DeviceNumber(major: values[9], minor: values[10])
        nameSize = values[11]; checksum = values[12]
    }

    init() {}
}

/// How many zero bytes bring `count` up to a multiple of 4.
func paddingTo4<T: BinaryInteger>(_ count: T) -> Int {
    Int((4 - count % 4) % 4)
}

private let hexDigits = Array("0123456789ABCDEF".utf8)

private func appendHex(_ value: UInt32, to bytes: inout [UInt8]) {
    for shift in stride(from: 28, through: 0, by: -4) {
        bytes.append(hexDigits[Int((value >> UInt32(shift)) & 0xF)])
    }
}

private func parseHex(_ digits: Slice<UnsafeRawBufferPointer>) -> UInt32? {
    var value: UInt32 = 0
    for digit in digits {
        let nibble: UInt8
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = digit - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = digit - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = digit - UInt8(ascii: "a") + 10
        default: return nil
        }
        value = value << 4 | UInt32(nibble)
    }
    return value
}

/// Bytes shown in an error message: printable ASCII as is, anything else as \xNN.
func printable(_ bytes: [UInt8]) -> String {
    var text = ""
    for byte in bytes {
        if byte >= 0x20 && byte < 0x7f {
            text.unicodeScalars.append(Unicode.Scalar(byte))
        } else {
            let hex = String(byte, radix: 16, uppercase: false)
            text += "\\x" + (hex.count == 1 ? "0" + hex : hex)
        }
    }
    return text
}
