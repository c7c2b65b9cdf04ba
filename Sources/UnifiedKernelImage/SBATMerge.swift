/// dracut-ng's .sbat for --sbat: the SBAT version line, the user's lines, then the lines of the
/// kernel's and the stub's own .sbat sections (their trailing NULs cut), each without the version
/// line, which appears once.
public enum SBATMerge {
    public static let versionLine = "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md"

    /// - Parameters:
    ///   - user: the --sbat text, one entry a line.
    ///   - sections: the contents of the kernel's and the stub's .sbat, in that order, where present.
    public static func merged(user: String, sections: [ArraySlice<UInt8>]) -> [UInt8] {
        var text = versionLine + "\n"
        text += withoutVersionLine(user + "\n")
        for section in sections {
            var bytes = Array(section)
            while bytes.last == 0 { bytes.removeLast() }
            text += withoutVersionLine(String(decoding: bytes, as: UTF8.self))
        }
        return Array(text.utf8)
    }

    /// The lines of `text` that do not hold the version line; a last line keeps its missing newline.
    static func withoutVersionLine(_ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let endsWithNewline = lines.last == ""
        if endsWithNewline { lines.removeLast() }
        let kept = lines.filter { !$0.contains(versionLine) }
        guard !kept.isEmpty else { return "" }
        return kept.joined(separator: "\n") + (endsWithNewline ? "\n" : "")
    }
}
