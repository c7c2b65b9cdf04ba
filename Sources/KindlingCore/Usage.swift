import Configuration

/// `kindling --help`: every option of `OptionTable` on one line, under its topic, with its
/// summary in a column of its own; the ones Kindling refuses are marked.
enum Usage {
    /// No line is longer, so the help fits a terminal of that width without wrapping.
    static let maximumWidth = 100
    /// Option names wider than this put their summary on the next line instead of pushing the
    /// column to the right for every option.
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
        let column = summaryColumn(for: OptionTable.all)
        for (group, options) in OptionTable.groups {
            text += "\n\(group.heading):\n"
            for option in options { text += line(for: option, column: column) }
        }
        return text
    }

    /// Where every summary starts: two spaces after the widest names that still share their line.
    static func summaryColumn(for options: [OptionSpec]) -> Int {
        let widths = options.map { synopsis(of: $0).count }.filter { $0 <= widestNamesOnTheSameLine }
        return (widths.max() ?? widestNamesOnTheSameLine) + 2
    }

    /// `  -a, --add LIST`: long names line up whether or not there is a short one.
    static func synopsis(of option: OptionSpec) -> String {
        let mark = option.isSupported ? " " : String(unsupportedMark)
        let short = option.shortName.map { "-\($0), " } ?? "    "
        let long = option.longNames.map { "--\($0)" }.joined(separator: ", ")
        return "\(mark) \(short)\(long)" + (option.argument.map { " \($0)" } ?? "")
    }

    /// The option's names and summary: one line, or two when the names reach the column.
    static func line(for option: OptionSpec, column: Int) -> String {
        let names = synopsis(of: option)
        let padding = names.count + 2 <= column ? String(repeating: " ", count: column - names.count) : "\n" + String(repeating: " ", count: column)
        return names + padding + option.summary + "\n"
    }
}
