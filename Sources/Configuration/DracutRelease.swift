import Foundation

/// The dracut whose modules and configuration a build takes: the installed one's dracut-version.sh
/// when there is one, else the 059 that Kindling follows.
public struct DracutRelease: Equatable, Sendable {
    public enum Flavour: Equatable, Sendable {
        /// dracut 059, as Debian 12 ships it.
        case dracut059
        /// dracut-ng, which numbers its releases from 100.
        case dracutNG
    }

    /// `$DRACUT_VERSION` as modules see it, such as "059-4" or "106".
    public var version: String

    public static let compatible = DracutRelease(version: "059")

    public var flavour: Flavour {
        let major = Int(version.prefix { $0.isNumber }) ?? 59
        return major >= 100 ? .dracutNG : .dracut059
    }

    /// The version that `DIRECTORY/dracut-version.sh` assigns, as its `DRACUT_VERSION=` line spells it;
    /// in a source tree, which has no dracut-version.sh until it is installed (dracut-ng run as
    /// `dracut.sh --local`), the same line of its dracut.sh.
    public static func installed(in baseDirectory: String) -> DracutRelease {
        let text =
            (try? String(contentsOfFile: baseDirectory + "/dracut-version.sh", encoding: .utf8))
            ?? (try? String(contentsOfFile: baseDirectory + "/dracut.sh", encoding: .utf8))
        guard let text else { return compatible }
        for line in text.split(separator: "\n") where line.hasPrefix("DRACUT_VERSION=") {
            let value = line.dropFirst("DRACUT_VERSION=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"' \t"))
            if !value.isEmpty { return DracutRelease(version: value) }
        }
        return compatible
    }
}
