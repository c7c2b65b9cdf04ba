import Foundation
import XCTest
@testable import ModuleGraph
import Support

/// A failed selection ends with one error that names the cause.
final class ModuleSelectionErrorTests: XCTestCase {
    var root: String!

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "kindling-selection-\(UUID().uuidString)"
        for name in ["10alpha", "20beta", "30gamma"] {
            try FileManager.default.createDirectory(atPath: "\(root!)/mods/\(name)", withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: "\(root!)/mods/\(name)/module-setup.sh", contents: Data())
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func failure(_ request: ModuleRequest, _ runner: TableRunner) -> String? {
        let selector = ModuleSelector(
            catalog: ModuleCatalog(searchPath: [root + "/mods"]), runner: runner,
            logger: Logger(level: .fatal))
        do {
            _ = try selector.select(request)
            return nil
        } catch {
            return "\(error)"
        }
    }

    func testACycleIsTheError() {
        XCTAssertEqual(
            failure(ModuleRequest(modules: ["alpha"]), TableRunner.with(["alpha": ["beta"], "beta": ["alpha"]])),
            "cyclic module dependency: alpha -> beta -> alpha")
    }

    func testAnOmittedDependencyIsNamedWithItsDependent() {
        XCTAssertEqual(
            failure(
                ModuleRequest(modules: ["alpha"], omit: ["gamma"]),
                TableRunner.with(["alpha": ["beta"], "beta": ["gamma"]])),
            "module 'beta' depends on 'gamma', which can't be installed: it is omitted")
    }

    func testAMissingDependencyAndAFailedCheckAreNamed() {
        XCTAssertEqual(
            failure(ModuleRequest(modules: ["alpha"]), TableRunner.with(["alpha": ["nowhere"]])),
            "module 'alpha' depends on 'nowhere', which can't be installed: it cannot be found")
        let runner = TableRunner()
        runner.checkResults = ["beta": 1]
        XCTAssertEqual(failure(ModuleRequest(modules: ["beta"]), runner), "module 'beta' cannot be installed: its check() returned 1")
    }
}
