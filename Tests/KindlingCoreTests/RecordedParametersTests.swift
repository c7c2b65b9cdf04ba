import XCTest

@testable import KindlingCore

/// dracut-ng 111 records only the options that change the image, with no leading space.
final class RecordedParametersTests: XCTestCase {
    private let options: [String: Bool] = ["--force": false, "-v": false, "--logfile": true]

    func testOptionsThatDoNotChangeTheImageAreLeftOut() {
        XCTAssertEqual(
            TreeFinishing.imageParameters(
                of: " --force --no-compress --kver '6.1.0' -v --logfile '/tmp/log' --no-hostonly", leaving: options),
            "--no-compress --kver '6.1.0' --no-hostonly")
    }

    /// A quoted value is a value, even when it spells a left-out option or holds blanks.
    func testQuotedValuesAreKeptWhole() {
        XCTAssertEqual(
            TreeFinishing.imageParameters(of: " -a '--force' --include '/a b' '/c' --force", leaving: options),
            "-a '--force' --include '/a b' '/c'")
        XCTAssertEqual(TreeFinishing.imageParameters(of: "", leaving: options), "")
    }
}
