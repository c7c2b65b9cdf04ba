import Foundation
import XCTest

@testable import ShellBridge

/// One `bash -n` over a batch of module-setup.sh files: every file passes, or none does.
final class ModuleSyntaxCheckTests: ModuleShellTestCase {
    private func check(_ modules: [String]) -> ModuleSyntaxCheck {
        ModuleSyntaxCheck(files: modules.map { $0 + "/module-setup.sh" }, scratch: directory + "/syntax.sh")
    }

    func testEveryFilePassesOrNone() throws {
        let good = try makeModule("10good", "check() { return 0; }\ninstall() { [[ -n ${x-} ]] && echo \"$x\"; }\n")
        let other = try makeModule("20other", "install() {\n    case $1 in\n        a) : ;;\n    esac\n}\n")
        let broken = try makeModule("30broken", "install() {\n    if true; then\n}\n")
        let files = [good, broken, other].map { $0 + "/module-setup.sh" }
        XCTAssertEqual(check([good, other]).passedFiles(among: files), [files[0], files[2]])
        XCTAssertEqual(check([good, broken, other]).passedFiles(among: files), [])
    }

    /// Files the first batch did not hold (a kdump build's own modules) are parsed in a batch of
    /// their own when first asked about; a failed batch costs no earlier file its pass.
    func testFilesAskedAboutLaterAreParsedInABatchOfTheirOwn() throws {
        let good = try makeModule("10good", "check() { return 0; }\n")
        let later = try makeModule("20later", "install() { inst_multiple ls; }\n")
        let broken = try makeModule("30broken", "install() {\n    if true; then\n}\n")
        let files = [good, later, broken].map { $0 + "/module-setup.sh" }
        let syntax = check([good])
        XCTAssertEqual(syntax.passedFiles(among: [files[0]]), [files[0]])
        XCTAssertEqual(syntax.passedFiles(among: [files[0], files[1]]), [files[0], files[1]])
        XCTAssertEqual(syntax.passedFiles(among: files), [files[0], files[1]])
    }

    /// Only regular files are read; anything else is left to the shell's own check when it is
    /// sourced. A file is parsed whole: bash parses past a NUL when it sources the file.
    func testOnlyRegularFilesAreReadAndAllOfTheirBytes() throws {
        let good = try makeModule("10good", "check() { return 0; }\n")
        let notAFile = directory + "/30directory"
        try FileManager.default.createDirectory(atPath: notAFile + "/module-setup.sh", withIntermediateDirectories: true)
        let candidates = [good, notAFile, directory + "/40missing"].map { $0 + "/module-setup.sh" }
        let result = check([good, notAFile, directory + "/40missing"])
        XCTAssertEqual(result.files, [good + "/module-setup.sh"])
        XCTAssertEqual(result.passedFiles(among: candidates), result.files)

        let withNul = try makeModule("20nul", "")
        try Data("check() { return 0; }\n\u{0}if then fi\n".utf8).write(to: URL(fileURLWithPath: withNul + "/module-setup.sh"))
        XCTAssertEqual(check([withNul]).passedFiles(among: [withNul + "/module-setup.sh"]), [])
    }
}
