#if canImport(Glibc)
import Glibc
#endif

/// Formats members as `cpio -tv` lists them, which is what lsinitrd shows:
///
///     drwxr-xr-x  12 root     root            0 Nov 22 00:01 usr
///     lrwxrwxrwx   1 root     root            7 Nov 22 00:00 bin -> usr/bin
///     crw-r--r--   1 root     root       5,   1 Nov 22 00:00 dev/console
///
/// Times within the last six months show the time of day, others the year, in local time.
public final class ListingFormatter {
    /// cpio's idea of six months.
    static let sixMonths: Int64 = 6 * 30 * 24 * 60 * 60
    private static let monthNames = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun",
        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    private let now: Int64
    private var userNames: [UInt32: String] = [:]
    private var groupNames: [UInt32: String] = [:]

    public init(now: Int64 = Int64(time(nil))) { self.now = now }

    /// One line, without the newline; bytes because member names need not be UTF-8.
    public func line(for member: CpioMember) -> [UInt8] {
        var text = ListingFormatter.modeString(member.mode)
        text += " " + leftPadded(String(member.linkCount), 3)
        text += " " + rightPadded(userName(member.uid), 8)
        text += " " + rightPadded(groupName(member.gid), 8)
        switch member.fileType {
        case .characterDevice, .blockDevice:
            text +=
                " " + leftPadded(String(member.representedDevice.major), 3) + ", "
                + leftPadded(String(member.representedDevice.minor), 3)
        default:
            text += " " + leftPadded(String(member.size), 8)
        }
        text += " " + date(member.modificationTime) + " "
        var bytes = Array(text.utf8) + member.path.bytes
        if let target = member.symlinkTarget {
            bytes += Array(" -> ".utf8) + target.bytes
        }
        return bytes
    }

    /// `ls -l` style: type letter, then rwx for owner, group and others with s/S/t/T.
    public static func modeString(_ mode: UInt32) -> String {
        let type: Character
        switch mode & fileTypeMask {
        case fileTypeRegular: type = "-"
        case fileTypeDirectory: type = "d"
        case fileTypeSymlink: type = "l"
        case fileTypeCharacterDevice: type = "c"
        case fileTypeBlockDevice: type = "b"
        case fileTypeFIFO: type = "p"
        case fileTypeSocket: type = "s"
        default: type = "?"
        }
        func triplet(_ shift: UInt32, special: UInt32, setLetter: Character) -> String {
            let bits = (mode >> shift) & 0o7
            let read: Character = bits & 0o4 != 0 ? "r" : "-"
            let write: Character = bits & 0o2 != 0 ? "w" : "-"
            let executable = bits & 0o1 != 0
            let execute: Character
            if mode & special != 0 {
                execute = executable ? setLetter : Character(setLetter.uppercased())
            } else {
                execute = executable ? "x" : "-"
            }
            return String([read, write, execute])
        }
        return String(type) + triplet(6, special: 0o4000, setLetter: "s")
            + triplet(3, special: 0o2000, setLetter: "s") + triplet(0, special: 0o1000, setLetter: "t")
    }

    private func date(_ seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        guard localtime_r(&time, &parts) != nil else { return "??? ?? ?????" }
        let month = ListingFormatter.monthNames[Int(parts.tm_mon) % 12]
        let day = leftPadded(String(parts.tm_mday), 2)
        let age = now - seconds
        if age < 0 || age > ListingFormatter.sixMonths {
            return "\(month) \(day)  \(parts.tm_year + 1900)"
        }
        return "\(month) \(day) \(zeroPadded(parts.tm_hour)):\(zeroPadded(parts.tm_min))"
    }

    private func userName(_ uid: UInt32) -> String {
        if let name = userNames[uid] { return name }
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        getpwuid_r(uid, &entry, &buffer, buffer.count, &result)
        let name = result.map { String(cString: $0.pointee.pw_name) } ?? String(uid)
        userNames[uid] = name
        return name
    }

    private func groupName(_ gid: UInt32) -> String {
        if let name = groupNames[gid] { return name }
        var entry = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 4096)
        getgrgid_r(gid, &entry, &buffer, buffer.count, &result)
        let name = result.map { String(cString: $0.pointee.gr_name) } ?? String(gid)
        groupNames[gid] = name
        return name
    }
}

private func leftPadded(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
}

private func rightPadded(_ text: String, _ width: Int) -> String {
    text + String(repeating: " ", count: max(0, width - text.count))
}

private func zeroPadded(_ value: Int32) -> String {
    value < 10 ? "0\(value)" : "\(value)"
}

/// A size the way `du -h` prints it: powers of 1024, rounded up, one decimal below 10
/// (`512`, `4.0K`, `9.1M`, `12M`).
public func humanReadableSize(_ byteCount: UInt64) -> String {
    let units = ["K", "M", "G", "T", "P", "E"]
    if byteCount < 1024 { return String(byteCount) }
    var unitIndex = 0
    var divisor: UInt64 = 1024
    while unitIndex < units.count - 1 && byteCount / divisor >= 1024 {
        unitIndex += 1
        divisor *= 1024
    }
    // Tenths, rounded up. The divisor is at most 2^60, so remainder * 10 cannot overflow.
    let remainder = byteCount % divisor
    let tenths = (byteCount / divisor) * 10 + (remainder * 10 + divisor - 1) / divisor
    if tenths < 100 {
        return "\(tenths / 10).\(tenths % 10)\(units[unitIndex])"
    }
    let whole = byteCount / divisor + (remainder == 0 ? 0 : 1)
    if whole >= 1024 && unitIndex < units.count - 1 {
        return "1.0\(units[unitIndex + 1])"
    }
    return "\(whole)\(units[unitIndex])"
}
