import XCTest

@testable import Configuration
@testable import KindlingCore

/// `kindling --help` prints the option table: every name, every summary, the unsupported ones
/// marked, under the topics' headings, within the width of a terminal.
final class UsageTests: XCTestCase {
    private let lines = Usage.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)

    /// The line that names the option (its synopsis), and the line its summary is on.
    private func lines(of option: OptionSpec) -> (names: String, summary: String)? {
        let synopsis = Usage.synopsis(of: option)
        guard let index = lines.firstIndex(where: { $0.hasPrefix(synopsis + " ") || $0 == synopsis }) else { return nil }
        let summaryLine = lines[index] == synopsis && index + 1 < lines.count ? lines[index + 1] : lines[index]
        return (lines[index], summaryLine)
    }

    func testEveryOptionNameIsPrintedWithItsSummary() {
        for option in OptionTable.all {
            guard let found = lines(of: option) else {
                XCTFail("--help has no line for \(option.displayName)")
                continue
            }
            for name in option.names {
                let words = found.names.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
                XCTAssertTrue(words.contains(name), "--help does not print \(name)")
            }
            XCTAssertTrue(found.summary.hasSuffix("  " + option.summary), "--help does not describe \(option.displayName)")
        }
    }

    func testOptionsNotSupportedYetAreMarkedAndNoOthers() {
        for option in OptionTable.all {
            guard let found = lines(of: option) else { continue }
            XCTAssertEqual(
                found.names.hasPrefix(String(Usage.unsupportedMark)), !option.isSupported,
                "the mark of \(option.displayName) in --help")
        }
        XCTAssertTrue(Usage.text.contains("Options marked \(Usage.unsupportedMark) are recognised but not supported yet"))
    }

    func testLinesFitTheWidthAndSummariesStartInOneColumn() {
        for line in lines {
            XCTAssertLessThanOrEqual(line.count, Usage.maximumWidth, "too long: \(line)")
        }
        let column = Usage.columns.column
        for option in OptionTable.all {
            guard let found = lines(of: option) else { continue }
            let start = found.summary.index(found.summary.endIndex, offsetBy: -option.summary.count)
            XCTAssertEqual(found.summary.distance(from: found.summary.startIndex, to: start), column, option.displayName)
        }
    }

    func testOptionsAppearUnderTheirTopicsInTheTablesOrder() {
        var previous = 0
        for (group, options) in OptionTable.groups {
            guard let heading = lines.firstIndex(of: group.heading + ":") else {
                XCTFail("--help has no heading '\(group.heading)'")
                continue
            }
            XCTAssertGreaterThan(heading, previous, "'\(group.heading)' is out of order")
            for option in options {
                let synopsis = Usage.synopsis(of: option)
                let index = lines.firstIndex { $0.hasPrefix(synopsis + " ") || $0 == synopsis } ?? -1
                XCTAssertGreaterThan(index, heading, "\(option.displayName) is not under '\(group.heading)'")
                previous = max(previous, index)
            }
        }
    }

    func testSynopsesLineUpLongNamesAndMarkWhatIsNotSupported() {
        let option = OptionSpec(longNames: ["kver"], argument: "VERSION", summary: "a kernel", effect: .scalar("kernel"))
        XCTAssertEqual(Usage.synopsis(of: option), "      --kver VERSION")
        let refused = OptionSpec(
            longNames: ["x", "ex"], shortName: "x", summary: "a thing", effect: .scalar("x"), isSupported: false)
        XCTAssertEqual(Usage.synopsis(of: refused), "* -x, --x, --ex")
    }
}
