/// The option lines of a command's `--help`: the names (`  -f, --file FILE`) on the left, the
/// summary in one column shared by every line, so both commands' help reads the same way.
public struct HelpColumns: Sendable {
    /// Where every summary starts.
    public let column: Int

    /// The column comes two spaces after the widest synopsis that is at most `widestOnTheSameLine`
    /// wide; a wider one (rare) puts its summary on the next line rather than pushing every
    /// summary to the right.
    public init(synopses: some Sequence<String>, widestOnTheSameLine: Int) {
        let widths = synopses.map(\.count).filter { $0 <= widestOnTheSameLine }
        column = (widths.max() ?? widestOnTheSameLine) + 2
    }

    /// One option: its synopsis and its summary, ended by a newline.
    public func line(_ synopsis: String, _ summary: String) -> String {
        let padding =
            synopsis.count + 2 <= column
            ? String(repeating: " ", count: column - synopsis.count)
            : "\n" + String(repeating: " ", count: column)
        return synopsis + padding + summary + "\n"
    }
}
