import XCTest

@testable import Support

final class HelpColumnsTests: XCTestCase {
    func testSummariesStartTwoSpacesAfterTheWidestSynopsis() {
        let columns = HelpColumns(synopses: ["  -a, --add LIST", "      --kver VERSION"], widestOnTheSameLine: 30)
        XCTAssertEqual(columns.column, 22)
        XCTAssertEqual(columns.line("  -a, --add LIST", "add modules"), "  -a, --add LIST      add modules\n")
        XCTAssertEqual(columns.line("      --kver VERSION", "the kernel"), "      --kver VERSION  the kernel\n")
    }

    func testASynopsisTooWideForTheColumnPutsItsSummaryOnTheNextLine() {
        let wide = "      --mount \"DEVICE MOUNTPOINT TYPE [OPTIONS]\""
        let columns = HelpColumns(synopses: ["  -f, --force", wide], widestOnTheSameLine: 20)
        XCTAssertEqual(columns.column, 15, "the wide one does not move the column")
        XCTAssertEqual(columns.line(wide, "mount it"), wide + "\n" + String(repeating: " ", count: 15) + "mount it\n")
    }
}
