import Foundation
import XCTest
@testable import Configuration

/// The option entries of a man page written with the man(7) macros: each `.TP` paragraph whose
/// tag line names options (`\fB\-a\fR, \fB\-\-add\fR \fILIST\fR`), up to the next paragraph macro
/// that ends it.
struct ManualPageOptionEntry {
    /// Every `-x` and `--name` of the tag line.
    var names: Set<String>
    /// Whether the tag line shows an argument (in italics).
    var takesValue: Bool
    /// The tag line as plain text (`-a, --add LIST`).
    var tag: String
    /// The entry's text, roff escapes reduced to plain characters.
    var body: String

    static func entries(in roff: String) -> [ManualPageOptionEntry] {
        let lines = roff.components(separatedBy: "\n")
        var entries: [ManualPageOptionEntry] = []
        var index = 0
        while index < lines.count {
            defer { index += 1 }
            guard lines[index].hasPrefix(".TP"), index + 1 < lines.count else { continue }
            let tag = lines[index + 1]
            let names = optionNames(in: plainText(tag))
            guard !names.isEmpty else { continue }
            var bodyLines: [String] = []
            var next = index + 2
            while next < lines.count, !endsEntry(lines[next]) {
                bodyLines.append(plainText(lines[next]))
                next += 1
            }
            entries.append(
                ManualPageOptionEntry(
                    names: names, takesValue: tag.contains("\\fI"), tag: plainText(tag),
                    body: bodyLines.joined(separator: "\n")))
        }
        return entries
    }

    private static func endsEntry(_ line: String) -> Bool {
        [".TP", ".SH", ".SS", ".PP", ".P ", ".LP"].contains { line.hasPrefix($0) } || line == ".P"
    }

    /// `\-` is a minus, `\fB`/`\fI`/`\fR`/`\fP` change fonts, `\(dq` is a double quote.
    static func plainText(_ line: String) -> String {
        var text = line.replacingOccurrences(of: "\\-", with: "-")
        for font in ["\\fB", "\\fI", "\\fR", "\\fP"] { text = text.replacingOccurrences(of: font, with: "") }
        return text.replacingOccurrences(of: "\\(dq", with: "\"")
    }

    /// The words of a tag line that are options: `-x` or `--name`, before any argument.
    static func optionNames(in tag: String) -> Set<String> {
        var names: Set<String> = []
        for word in tag.split(whereSeparator: { $0 == " " || $0 == "," }) {
            let word = String(word)
            let isShort = word.count == 2 && word.hasPrefix("-") && word.last!.isLetter
            let isLong = word.count > 2 && word.hasPrefix("--") && word.dropFirst(2).allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }
            if isShort || isLong { names.insert(word) }
        }
        return names
    }
}

/// The manual pages must document what the code has: every option of OptionTable in
/// kindling(8), marked "not supported yet" exactly when Kindling refuses it, and every option
/// of kindling-lsinitrd in kindling-lsinitrd(1).
final class ManualPageTests: XCTestCase {
    static let notSupportedMarker = "Not supported yet: Kindling stops with an error naming the option."
    static let supportedMarker = "Supported."

    static var checkout: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func read(_ relativePath: String) throws -> String {
        try String(contentsOf: checkout.appendingPathComponent(relativePath), encoding: .utf8)
    }

    static func names(of option: OptionSpec) -> [String] {
        option.longNames.map { "--\($0)" } + (option.shortName.map { ["-\($0)"] } ?? [])
    }

    func testEveryOptionHasOneEntryWithAllItsNamesAndItsArgument() throws {
        let entries = ManualPageOptionEntry.entries(in: try Self.read("Documentation/man/kindling.8"))
        XCTAssertGreaterThan(entries.count, 0, "no option entries found in kindling.8")
        for option in OptionTable.all {
            let names = Self.names(of: option)
            let matching = entries.filter { !$0.names.isDisjoint(with: names) }
            guard matching.count == 1, let entry = matching.first else {
                XCTFail("kindling.8 has \(matching.count) entries for \(option.displayName), wants one")
                continue
            }
            XCTAssertEqual(entry.names, Set(names), "kindling.8: the entry of \(option.displayName) names other options")
            XCTAssertEqual(
                entry.takesValue, option.takesValue,
                "kindling.8: \(option.displayName) \(option.takesValue ? "takes" : "takes no") argument")
        }
    }

    func testNotSupportedMarkerIsPresentExactlyForTheOptionsKindlingRefuses() throws {
        let entries = ManualPageOptionEntry.entries(in: try Self.read("Documentation/man/kindling.8"))
        for option in OptionTable.all {
            guard let entry = entries.first(where: { $0.names.contains(option.displayName) }) else { continue }
            let marked = entry.body.contains(Self.notSupportedMarker)
            let claimed = entry.body.components(separatedBy: "\n").contains(Self.supportedMarker)
            if option.isSupported {
                XCTAssertFalse(marked, "kindling.8 marks \(option.displayName) as not supported, but Kindling supports it")
                XCTAssertTrue(claimed, "kindling.8 does not say that \(option.displayName) is supported")
            } else {
                XCTAssertTrue(marked, "kindling.8 does not mark \(option.displayName) as not supported yet")
                XCTAssertFalse(claimed, "kindling.8 says \(option.displayName) is supported, but Kindling refuses it")
            }
        }
    }

    func testEveryOptionNamesItsDracutEquivalent() throws {
        let entries = ManualPageOptionEntry.entries(in: try Self.read("Documentation/man/kindling.8"))
        for option in OptionTable.all {
            guard let entry = entries.first(where: { $0.names.contains(option.displayName) }) else { continue }
            XCTAssertTrue(
                entry.body.contains("dracut: same option.") || entry.body.contains("Kindling extension"),
                "kindling.8 does not say what dracut calls \(option.displayName)")
        }
    }

    /// `--help` shows each option's names and value as its manual page entry does, so the two
    /// never disagree on what to type.
    func testEveryEntryShowsTheNamesAndValueThatHelpShows() throws {
        let entries = ManualPageOptionEntry.entries(in: try Self.read("Documentation/man/kindling.8"))
        for option in OptionTable.all {
            guard let entry = entries.first(where: { $0.names.contains(option.displayName) }) else { continue }
            let synopsis = option.names.joined(separator: ", ") + (option.argument.map { " \($0)" } ?? "")
            XCTAssertEqual(entry.tag, synopsis, "kindling.8 and --help show \(option.displayName) differently")
        }
    }

    func testEntryParserSeesNamesArgumentsAndMarkers() {
        let roff = """
            .SS "Test"
            .TP
            \\fB\\-x\\fR, \\fB\\-\\-ex\\-ample\\fR \\fIVALUE\\fR
            Does a thing.
            \(Self.notSupportedMarker)
            .TP
            \\fB\\-\\-flag\\fR
            Supported.
            .SH FILES
            .TP
            .I /etc/dracut.conf
            """
        let entries = ManualPageOptionEntry.entries(in: roff)
        XCTAssertEqual(entries.map(\.names), [["-x", "--ex-ample"], ["--flag"]])
        XCTAssertEqual(entries.map(\.takesValue), [true, false])
        XCTAssertEqual(entries.map(\.tag), ["-x, --ex-ample VALUE", "--flag"])
        XCTAssertTrue(entries[0].body.contains(Self.notSupportedMarker))
        XCTAssertFalse(entries[1].body.contains(Self.notSupportedMarker))
    }

    /// kindling-lsinitrd is an executable target, which tests cannot import: its option table is
    /// read from its source instead.
    func testEveryLsinitrdOptionIsInItsManualPageAsHelpShowsIt() throws {
        let options = try LsinitrdOptionSource.read()
        XCTAssertFalse(options.longNames.isEmpty, "no long options found in CommandLineOptions.swift")
        XCTAssertFalse(options.shortLetters.isEmpty, "no short options found in CommandLineOptions.swift")
        let entries = ManualPageOptionEntry.entries(in: try Self.read("Documentation/man/kindling-lsinitrd.1"))
        for option in options.options {
            guard let entry = entries.first(where: { $0.names.contains("--\(option.name)") }) else {
                XCTFail("kindling-lsinitrd.1 lacks --\(option.name)")
                continue
            }
            XCTAssertEqual(entry.tag, option.names.joined(separator: ", ") + (option.argument.map { " \($0)" } ?? ""))
        }
    }
}

/// kindling-lsinitrd's options as its source declares them: the `Option(...)` lines of the table.
struct LsinitrdOptionSource {
    struct Option {
        var name: String
        var shortName: Character?
        var argument: String?
        var summary: String

        var names: [String] { (shortName.map { ["-\($0)"] } ?? []) + ["--\(name)"] }
    }

    var options: [Option] = []

    var longNames: [String] { options.map(\.name) }
    var shortLetters: [Character] { options.compactMap(\.shortName) }

    static func read() throws -> LsinitrdOptionSource {
        LsinitrdOptionSource(try ManualPageTests.read("Sources/kindling-lsinitrd/CommandLineOptions.swift"))
    }

    /// Each `Option("name", short: "x", argument: "X", summary: "...")` of `table`, the short
    /// letter and the argument being optional.
    init(_ source: String) {
        guard let start = source.range(of: "static let table"), let end = source[start.upperBound...].range(of: "\n    ]\n")
        else { return }
        let table = String(source[start.upperBound..<end.lowerBound])
        let pattern = #"Option\(\s*"([a-z-]+)"(?:,\s*short: "([a-zA-Z])")?(?:,\s*argument: "([^"]+)")?,\s*summary: "([^"]*)"\s*\)"#
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return }
        for match in regex.matches(in: table, range: NSRange(table.startIndex..., in: table)) {
            func group(_ index: Int) -> String? { Range(match.range(at: index), in: table).map { String(table[$0]) } }
            guard let name = group(1), let summary = group(4) else { continue }
            options.append(Option(name: name, shortName: group(2)?.first, argument: group(3), summary: summary))
        }
    }
}
