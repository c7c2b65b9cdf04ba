#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest
@testable import ModuleGraph
import Support

/// A runner whose modules answer check() and depends() from a table, recording each call.
final class TableRunner: ModuleFunctionRunner {
    var checkResults: [String: Int32] = [:]
    var mountResults: [String: Int32] = [:]
    var dependencies: [String: [String]] = [:]
    var checks: [(String, CheckKind)] = []

    func check(_ module: Module, kind: CheckKind) throws -> Int32 {
        checks.append((module.name, kind))
        if kind == .mount { return mountResults[module.name] ?? 1 }
        return checkResults[module.name] ?? 0
    }

    /// What was scheduled when each module's depends() ran.
    var scheduledAtDepends: [String: [String]] = [:]
    private var scheduledSoFar: [String] = []

    func depends(_ module: Module) throws -> [String] {
        scheduledAtDepends[module.name] = scheduledSoFar
        return dependencies[module.name] ?? []
    }

    func scheduled(_ modules: [String]) throws { scheduledSoFar = modules }
}

final class ModuleSelectorTests: XCTestCase {
    var root: String!

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "kindling-graph-\(UUID().uuidString)"
        for name in ["00bash", "10alpha", "20beta", "30gamma", "90delta", "99base", "50notamodule"] {
            try FileManager.default.createDirectory(atPath: "\(root!)/mods/\(name)", withIntermediateDirectories: true)
            if name != "50notamodule" {
                _ = FileManager.default.createFile(atPath: "\(root!)/mods/\(name)/module-setup.sh", contents: Data())
            }
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func select(_ request: ModuleRequest, _ runner: TableRunner) throws -> [String] {
        let catalog = ModuleCatalog(searchPath: [root + "/mods"])
        return try ModuleSelector(catalog: catalog, runner: runner, logger: Logger(level: .fatal))
            .select(request).map(\.name)
    }

    func testCatalogOrdersByDirectoryNameAndSkipsDirectoriesWithoutScripts() {
        let catalog = ModuleCatalog(searchPath: [root + "/mods"])
        XCTAssertEqual(catalog.modules.map(\.name), ["bash", "alpha", "beta", "gamma", "delta", "base"])
    }

    /// A module path from a config value (modules_dirs, --modules-dir) whose name is not UTF-8
    /// is searched as it is: it was looked up by FileManager under another name and held nothing.
    func testAModuleDirectoryWhoseNameIsNotUTF8IsSearched() throws {
        let directory = PathBytes.string(Array((root + "/caf").utf8) + [0xE9])
        XCTAssertEqual(mkdir(directory, 0o755), 0)
        XCTAssertEqual(mkdir(directory + "/40extra", 0o755), 0)
        let fd = open(directory + "/40extra/module-setup.sh", O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0)
        close(fd)
        let catalog = ModuleCatalog(searchPath: [directory, root + "/mods"])
        XCTAssertEqual(catalog["extra"].map { PathBytes.bytes($0.directory) }, PathBytes.bytes(directory + "/40extra"))
    }

    func testFirstModuleDirectoryOnThePathWins() throws {
        try FileManager.default.createDirectory(atPath: root + "/own/95base", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: root + "/own/95base/module-setup.sh", contents: Data())
        let catalog = ModuleCatalog(searchPath: [root + "/mods", root + "/own"])
        XCTAssertEqual(catalog["base"]?.directory, root + "/mods/99base")
        let reversed = ModuleCatalog(searchPath: [root + "/own", root + "/mods"])
        XCTAssertEqual(reversed["base"]?.directory, root + "/own/95base")
        XCTAssertEqual(reversed.modules.suffix(2).map(\.directoryName), ["90delta", "95base"])
    }

    func testAllModeIncludesModulesWhoseCheckReturnsZeroOnly() throws {
        let runner = TableRunner()
        runner.checkResults = ["alpha": 1, "beta": 255]
        XCTAssertEqual(try select(ModuleRequest(), runner), ["bash", "gamma", "delta", "base"])
        XCTAssertTrue(runner.checks.allSatisfy { $0.1 == .host })
    }

    func testCheck255IsAcceptedForADependencyInAllMode() throws {
        let runner = TableRunner()
        runner.checkResults = ["beta": 255]
        runner.dependencies = ["delta": ["beta"]]
        XCTAssertEqual(try select(ModuleRequest(), runner), ["bash", "alpha", "beta", "gamma", "delta", "base"])
    }

    func testExplicitModulesGetAGenericCheckAndAccept255() throws {
        let runner = TableRunner()
        runner.checkResults = ["beta": 255]
        XCTAssertEqual(try select(ModuleRequest(modules: ["beta"]), runner), ["beta"])
        XCTAssertEqual(runner.checks.map(\.0), ["beta"], "modules not named are skipped without check")
        XCTAssertEqual(runner.checks.first?.1, .generic)
    }

    func testAddedModulesGetTheHostCheckAndForceAddedTheGenericOne() throws {
        let runner = TableRunner()
        _ = try select(ModuleRequest(modules: ["bash"], add: ["alpha"], forceAdd: ["beta"]), runner)
        XCTAssertEqual(runner.checks.map { "\($0.0):\($0.1)" }, ["bash:generic", "alpha:host", "beta:generic"])
    }

    func testDependenciesInheritTheGenericCheckOfTheirParent() throws {
        let runner = TableRunner()
        runner.dependencies = ["delta": ["alpha"]]
        XCTAssertEqual(try select(ModuleRequest(modules: ["delta"]), runner), ["alpha", "delta"])
        XCTAssertEqual(runner.checks.map { "\($0.0):\($0.1)" }, ["delta:generic", "alpha:generic"])
    }

    func testModulesAreReturnedInDirectoryOrderNotDependencyOrder() throws {
        let runner = TableRunner()
        runner.dependencies = ["alpha": ["base", "delta"]]
        XCTAssertEqual(try select(ModuleRequest(modules: ["alpha"]), runner), ["alpha", "delta", "base"])
    }

    func testOmittedModuleIsExcludedAndItsDependentsFail() throws {
        let runner = TableRunner()
        runner.dependencies = ["delta": ["alpha"]]
        XCTAssertEqual(try select(ModuleRequest(omit: ["alpha"]), runner), ["bash", "beta", "gamma", "base"])
        XCTAssertThrowsError(try select(ModuleRequest(modules: ["delta"], omit: ["alpha"]), TableRunner.with(["delta": ["alpha"]])))
    }

    func testExplicitModuleThatFailsItsCheckIsAnErrorNamingIt() throws {
        let runner = TableRunner()
        runner.checkResults = ["gamma": 1]
        XCTAssertThrowsError(try select(ModuleRequest(modules: ["bash", "gamma"]), runner)) { error in
            XCTAssertEqual("\(error)", "module 'gamma' cannot be installed: its check() returned 1")
        }
        XCTAssertThrowsError(try select(ModuleRequest(add: ["nosuch"]), TableRunner())) { error in
            XCTAssertEqual("\(error)", "module 'nosuch' cannot be found")
        }
        XCTAssertThrowsError(try select(ModuleRequest(modules: ["bahs"]), TableRunner())) { error in
            XCTAssertEqual("\(error)", "module 'bahs' cannot be found; did you mean 'bash'?")
        }
    }

    func testAddedAndOmittedModuleIsSkippedQuietly() throws {
        XCTAssertEqual(try select(ModuleRequest(modules: ["bash"], add: ["alpha"], omit: ["alpha"]), TableRunner()), ["bash"])
        XCTAssertThrowsError(try select(ModuleRequest(modules: ["bash"], forceAdd: ["alpha"], omit: ["alpha"]), TableRunner()))
    }

    /// dracut-ng (106 on): --force-add wins over -o.
    func testForceAddedModuleOverridesOmitWhenAsked() throws {
        var request = ModuleRequest(modules: ["bash"], forceAdd: ["alpha"], omit: ["alpha"])
        request.forceAddOverridesOmit = true
        XCTAssertEqual(try select(request, TableRunner()), ["bash", "alpha"])
    }

    func testCyclicDependenciesFail() throws {
        let runner = TableRunner.with(["alpha": ["beta"], "beta": ["alpha"]])
        XCTAssertEqual(try select(ModuleRequest(), runner), ["bash", "gamma", "delta", "base"])
        XCTAssertThrowsError(try select(ModuleRequest(modules: ["alpha"]), TableRunner.with(["alpha": ["beta"], "beta": ["alpha"]])))
    }

    func testMountPassAddsModulesWhoseMountCheckSucceeds() throws {
        let runner = TableRunner()
        runner.checkResults = ["alpha": 1, "beta": 1]
        runner.mountResults = ["alpha": 0, "beta": 255]
        XCTAssertEqual(try select(ModuleRequest(checkMounts: true), runner), ["bash", "alpha", "gamma", "delta", "base"])
        let withoutMounts = TableRunner()
        withoutMounts.checkResults = ["alpha": 1]
        XCTAssertFalse(try select(ModuleRequest(), withoutMounts).contains("alpha"))
        XCTAssertFalse(withoutMounts.checks.contains { $0.1 == .mount })
    }

    /// dracut's 40network picks the network backend that is already scheduled (35network-legacy,
    /// earlier in directory order), so depends() must see what passed before it.
    func testDependsSeesTheModulesScheduledBeforeIt() throws {
        let runner = TableRunner()
        runner.dependencies["gamma"] = ["bash"]
        _ = try select(ModuleRequest(modules: ["alpha", "beta", "gamma"]), runner)
        XCTAssertEqual(runner.scheduledAtDepends["alpha"], [])
        XCTAssertEqual(runner.scheduledAtDepends["beta"], ["alpha"])
        XCTAssertEqual(runner.scheduledAtDepends["gamma"], ["alpha", "beta"])
        XCTAssertEqual(runner.scheduledAtDepends["bash"], ["alpha", "beta"])
    }
}

extension TableRunner {
    static func with(_ dependencies: [String: [String]]) -> TableRunner {
        let runner = TableRunner()
        runner.dependencies = dependencies
        return runner
    }

}
