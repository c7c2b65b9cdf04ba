import Foundation
import XCTest

@testable import ShellBridge

/// The engine's one `bash -n` over the catalog gives the shim's verdict: every file, or none.
final class ModuleSyntaxCheckTests: ModuleShellTestCase {
    private func check(_ modules: [String]) -> ModuleSyntaxCheck {
        ModuleSyntaxCheck(files: modules.map { $0 + "/module-setup.sh" }, scratch: directory + "/syntax.sh")
    }

    func testEveryFilePassesOrNone() throws {
        let good = try makeModule("10good", "check() { return 0; }\ninstall() { [[ -n ${x-} ]] && echo \"$x\"; }\n")
        let other = try makeModule("20other", "install() {\n    case $1 in\n        a) : ;;\n    esac\n}\n")
        let broken = try makeModule("30broken", "install() {\n    if true; then\n}\n")
        XCTAssertEqual(check([good, other]).checkedFiles(), [good + "/module-setup.sh", other + "/module-setup.sh"])
        XCTAssertEqual(check([good, broken, other]).checkedFiles(), [])
    }

    /// Files as the shim reads them: a regular file up to its first NUL; anything else is left
    /// to the shim's own check when it is sourced.
    func testOnlyRegularFilesAreReadAndOnlyUpToANul() throws {
        let good = try makeModule("10good", "check() { return 0; }\n")
        let withNul = try makeModule("20nul", "check() { return 0; }\n")
        try Data("check() { return 0; }\n\u{0}if then fi\n".utf8).write(to: URL(fileURLWithPath: withNul + "/module-setup.sh"))
        let notAFile = directory + "/30directory"
        try FileManager.default.createDirectory(atPath: notAFile + "/module-setup.sh", withIntermediateDirectories: true)
        let result = check([good, withNul, notAFile, directory + "/40missing"])
        XCTAssertEqual(result.files, [good + "/module-setup.sh", withNul + "/module-setup.sh"])
        XCTAssertEqual(result.checkedFiles(), result.files)
    }
}
