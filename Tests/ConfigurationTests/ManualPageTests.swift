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
            entries.append(ManualPageOptionEntry(names: names, takesValue: tag.contains("\\fI"),
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
            XCTAssertEqual(entry.takesValue, option.takesValue,
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
            XCTAssertTrue(entry.body.contains("dracut: same option.") || entry.body.contains("Kindling extension"),
                          "kindling.8 does not say what dracut calls \(option.displayName)")
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
        XCTAssertTrue(entries[0].body.contains(Self.notSupportedMarker))
        XCTAssertFalse(entries[1].body.contains(Self.notSupportedMarker))
    }

    /// kindling.modules(7) sorts dracut's helpers into those Kindling has and those that stop the
    /// build naming themselves; both lists must agree with the shim and the engine's helper switch,
    /// and every helper the shim sends but the engine does not answer must be listed.
    func testHelperListsAgreeWithTheShimAndTheEngine() throws {
        let page = try Self.read("Documentation/man/kindling.modules.7")
        let shim = ShimHelpers(try Self.read("shim/kindling-shim.bash"))
        let answered = EngineHelpers.names(in: try Self.read("Sources/ShellBridge/DracutHelpers.swift"))
            .union(EngineHelpers.names(in: try Self.read("Sources/ShellBridge/KernelModuleHelpers.swift")))
        XCTAssertTrue(shim.functions.contains("dinfo") && shim.requested.contains("inst_multiple"), "shim helpers not found")
        XCTAssertTrue(answered.contains("inst_hook") && answered.contains("instmods"), "engine helpers not found")

        let documented = HelperSection.tagNames(page, heading: "HELPERS KINDLING ANSWERS")
            + HelperSection.tagNames(page, heading: "HELPERS IN THE SHELL")
        XCTAssertGreaterThan(documented.count, 30)
        for name in documented {
            XCTAssertTrue(shim.functions.contains(name) || (shim.requested.contains(name) && answered.contains(name)),
                          "kindling.modules.7 documents \(name), which Kindling does not implement")
        }
        let prose = ["kdumpbase", "findmnt", "blkid"]
        let stopping = Set(HelperSection.boldNames(page, heading: "HELPERS NOT IMPLEMENTED YET")).subtracting(prose)
        XCTAssertGreaterThan(stopping.count, 10)
        for name in stopping {
            XCTAssertTrue(shim.requested.contains(name) && !answered.contains(name) && !shim.functions.contains(name),
                          "kindling.modules.7 says \(name) stops the build, but the shim does not send it or the engine answers it")
        }
        for name in shim.requested.subtracting(answered).subtracting(shim.functions) {
            XCTAssertTrue(stopping.contains(name), "the shim sends \(name), which the engine does not answer, and kindling.modules.7 does not list it")
        }
    }

    /// kindling-lsinitrd is an executable target, which tests cannot import: its option table is
    /// read from its source instead (the `longOptions` list and the short letters of its parser).
    func testEveryLsinitrdOptionIsInItsManualPage() throws {
        let source = try Self.read("Sources/kindling-lsinitrd/CommandLineOptions.swift")
        let options = LsinitrdOptionSource(source)
        XCTAssertFalse(options.longNames.isEmpty, "no long options found in CommandLineOptions.swift")
        XCTAssertFalse(options.shortLetters.isEmpty, "no short options found in CommandLineOptions.swift")
        let entries = ManualPageOptionEntry.entries(in: try Self.read("Documentation/man/kindling-lsinitrd.1"))
        let documented = entries.reduce(into: Set<String>()) { $0.formUnion($1.names) }
        for name in options.longNames { XCTAssertTrue(documented.contains("--\(name)"), "kindling-lsinitrd.1 lacks --\(name)") }
        for letter in options.shortLetters { XCTAssertTrue(documented.contains("-\(letter)"), "kindling-lsinitrd.1 lacks -\(letter)") }
    }
}

/// kindling-lsinitrd's options as its source declares them.
struct LsinitrdOptionSource {
    var longNames: [String] = []
    var shortLetters: [Character] = []

    /// Long names are the `("name", Bool)` pairs of `longOptions`; short letters the
    /// `case "x"` labels of `parseShortOptions`.
    init(_ source: String) {
        if let table = Self.section(of: source, from: "longOptions:", to: "]\n") {
            longNames = Self.captures(of: #"\("([a-z-]+)", (?:true|false)\)"#, in: table)
        }
        if let parser = Self.section(of: source, from: "func parseShortOptions", to: "\n    }\n") {
            for label in Self.captures(of: #"case ((?:"[a-zA-Z]"(?:, )?)+):"#, in: parser) {
                shortLetters += Self.captures(of: #""([a-zA-Z])""#, in: label).compactMap(\.first)
            }
        }
    }

    private static func section(of text: String, from start: String, to end: String) -> String? {
        guard let lower = text.range(of: start), let upper = text[lower.upperBound...].range(of: end) else { return nil }
        return String(text[lower.upperBound..<upper.lowerBound])
    }

    private static func captures(of pattern: String, in text: String) -> [String] {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
        let range = NSRange(text.startIndex..., in: text)
        return regex.matches(in: text, range: range).compactMap { match in
            Range(match.range(at: 1), in: text).map { String(text[$0]) }
        }
    }
}

/// The helpers shim/kindling-shim.bash defines: shell functions (`name() {` at the start of a
/// line) and the helpers of its `for __kindling_helper in ...; do` loops, which it sends to the engine.
struct ShimHelpers {
    var functions: Set<String> = []
    var requested: Set<String> = []

    init(_ shim: String) {
        for line in shim.split(separator: "\n") {
            guard let parenthesis = line.range(of: "() {"), line.first.map({ $0.isLetter }) == true else { continue }
            functions.insert(String(line[..<parenthesis.lowerBound]))
        }
        var rest = shim[...]
        while let start = rest.range(of: "for __kindling_helper in"), let end = rest[start.upperBound...].range(of: "; do") {
            for word in rest[start.upperBound..<end.lowerBound].split(whereSeparator: { $0 == " " || $0 == "\\" || $0 == "\n" }) {
                requested.insert(String(word))
            }
            rest = rest[end.upperBound...]
        }
    }
}

/// The helpers an engine source answers: the `case "name"` labels of its switches.
enum EngineHelpers {
    static func names(in source: String) -> Set<String> {
        guard let regex = try? NSRegularExpression(pattern: #"case ((?:"[a-z_]+"(?:, )?)+):"#),
              let name = try? NSRegularExpression(pattern: #""([a-z_]+)""#) else { return [] }
        var names: Set<String> = []
        for match in regex.matches(in: source, range: NSRange(source.startIndex..., in: source)) {
            guard let range = Range(match.range(at: 1), in: source) else { continue }
            let labels = String(source[range])
            for label in name.matches(in: labels, range: NSRange(labels.startIndex..., in: labels)) {
                if let range = Range(label.range(at: 1), in: labels) { names.insert(String(labels[range])) }
            }
        }
        return names
    }
}

/// Helper names in a section (`.SH`) or subsection (`.SS`) of kindling.modules.7.
enum HelperSection {
    static func lines(_ page: String, heading: String) -> [String] {
        var inside = false
        var result: [String] = []
        for line in page.components(separatedBy: "\n") {
            if line.hasPrefix(".SH") || line.hasPrefix(".SS") { inside = line.contains(heading) }
            if inside { result.append(line) }
        }
        return result
    }

    static func isHelperName(_ word: Substring) -> Bool {
        guard let first = word.first, first.isLowercase else { return false }
        return word.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }
    }

    /// The lowercase words of each tag line (the line after `.TP` or `.TQ`).
    static func tagNames(_ page: String, heading: String) -> [String] {
        let lines = lines(page, heading: heading)
        var names: [String] = []
        for (index, line) in lines.enumerated() where (line == ".TP" || line == ".TQ") && index + 1 < lines.count {
            let words = lines[index + 1].split(separator: " ").dropFirst().map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\",")) }
            names += words.map { Substring($0) }.filter(isHelperName).map(String.init)
        }
        return names
    }

    /// The words set in bold (`.B name` or `.BR name ,`) anywhere in the section.
    static func boldNames(_ page: String, heading: String) -> [String] {
        lines(page, heading: heading).compactMap { line in
            guard line.hasPrefix(".B ") || line.hasPrefix(".BR ") else { return nil }
            let word = line.split(separator: " ").dropFirst().first ?? ""
            return isHelperName(word) ? String(word) : nil
        }
    }
}
