import Configuration
import Support

/// `kindling --help`: every option of `OptionTable` on one line, under its topic, with its
/// summary in a column of its own; the ones Kindling refuses are marked.
enum Usage {
    /// No line is longer, so the help fits a terminal of that width without wrapping.
    static let maximumWidth = 100
    /// Wider names (`--mount`'s) put their summary on the next line rather than push every summary right.
    static let widestNamesOnTheSameLine = 36
    static let unsupportedMark: Character = "*"

    static var text: String {
        var text = """
            Usage: kindling [OPTION]... [IMAGE [KERNEL-VERSION]]

            Builds an initramfs IMAGE (default, as dracut's: the boot loader entry directory, or
            /boot/initrd.img-KERNEL-VERSION) for KERNEL-VERSION (default: the running kernel) from
            dracut modules. Options and config files are dracut 059's; kindling(8) tells more.

            A LIST is one argument of words separated by spaces (quote it); lists may be repeated.
            Options marked \(unsupportedMark) are recognised but not supported yet: using one is an error.

            """
        let columns = self.columns
        for (group, options) in OptionTable.groups {
            text += "\n\(group.heading):\n"
            for option in options { text += columns.line(synopsis(of: option), option.summary) }
        }
        return text
    }

    /// One summary column for every topic, so the whole help lines up.
    static var columns: HelpColumns {
        HelpColumns(synopses: OptionTable.all.map(synopsis(of:)), widestOnTheSameLine: widestNamesOnTheSameLine)
    }

    /// `  -a, --add LIST`: long names line up whether or not there is a short one.
    static func synopsis(of option: OptionSpec) -> String {
        let mark = option.isSupported ? " " : String(unsupportedMark)
        let short = option.shortName.map { "-\($0), " } ?? "    "
        let long = option.longNames.map { "--\($0)" }.joined(separator: ", ")
        return "\(mark) \(short)\(long)" + (option.argument.map { " \($0)" } ?? "")
    }
}
