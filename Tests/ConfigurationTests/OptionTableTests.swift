import XCTest

@testable import Configuration

/// The option table is the one source of `--help`, the parser and the documentation checks: each
/// option must carry what `--help` prints, and no name may mean two options.
final class OptionTableTests: XCTestCase {
    func testEveryOptionHasAOneLineSummary() {
        for option in OptionTable.all {
            let summary = option.summary.trimmingCharacters(in: .whitespaces)
            XCTAssertFalse(summary.isEmpty, "\(option.displayName) has no summary")
            XCTAssertFalse(option.summary.contains("\n"), "the summary of \(option.displayName) is more than one line")
            XCTAssertEqual(summary, option.summary, "the summary of \(option.displayName) has spaces around it")
        }
    }

    func testEveryValueHasANameAndNoFlagHasOne() {
        for option in OptionTable.all {
            if let argument = option.argument {
                XCTAssertFalse(argument.isEmpty, "\(option.displayName) takes a value without a name")
            }
        }
        XCTAssertEqual(OptionTable.named("include")?.argument, "SOURCE TARGET", "--include takes two values")
        XCTAssertNil(OptionTable.named("force")?.argument)
    }

    func testEveryGroupAppearsOnceAndHasOptions() {
        XCTAssertEqual(OptionTable.groups.map(\.group), OptionGroup.allCases, "the topics, once each, in their order")
        for (group, options) in OptionTable.groups {
            XCTAssertFalse(options.isEmpty, "\(group.heading) has no options")
        }
    }

    func testNoNameBelongsToTwoOptions() {
        let longNames = OptionTable.all.flatMap(\.longNames)
        XCTAssertEqual(Set(longNames).count, longNames.count, "a long name is in the table twice")
        let shortNames = OptionTable.all.compactMap(\.shortName)
        XCTAssertEqual(Set(shortNames).count, shortNames.count, "a short name is in the table twice")
    }
}
