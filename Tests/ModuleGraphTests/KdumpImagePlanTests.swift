import Foundation
import XCTest
@testable import ModuleGraph

/// kdump_image: the minimal image from Kindling's own modules, the distribution's kdumpbase as
/// a fallback or on request, and a failure naming the directive when neither can serve.
final class KdumpImagePlanTests: XCTestCase {
    var root: String!
    var own: String { root + "/kindling" }
    var distribution: String { root + "/dracut" }

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "kindling-kdump-plan-\(UUID().uuidString)"
        try makeModules(["05busybox", "90kdump-storage", "99base", "99kdumpbase"], in: own)
        try makeModules(["90squash", "99base", "99kdumpbase", "99shutdown"], in: distribution)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    private func makeModules(_ names: [String], in directory: String) throws {
        for name in names {
            try FileManager.default.createDirectory(atPath: "\(directory)/\(name)", withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: "\(directory)/\(name)/module-setup.sh", contents: Data())
        }
    }

    private func plan(
        _ request: ModuleRequest, prefersMinimal: Bool = true, searchPath: [String]? = nil,
        answer: MinimalTargetAnswer = .serves("ext4 UUID=1234")
    ) throws -> KdumpImagePlan? {
        let planner = KdumpImagePlanner(
            searchPath: searchPath ?? [distribution, own], ownModules: own, prefersMinimal: prefersMinimal)
        return try planner.plan(for: request) { module in
            XCTAssertEqual(module.directory, self.own + "/99kdumpbase", "only Kindling's kdumpbase is asked")
            return answer
        }
    }

    func testABuildWithoutKdumpbaseHasNoPlan() throws {
        XCTAssertNil(try plan(ModuleRequest(modules: ["base", "bash"])))
        XCTAssertNil(try plan(ModuleRequest(add: ["kdumpbase"], omit: ["kdumpbase"])))
    }

    func testTheMinimalImageTakesKindlingsTreeEvenBehindADistributionKdumpbase() throws {
        let result = try XCTUnwrap(plan(ModuleRequest(add: ["kdumpbase"])))
        XCTAssertEqual(result.image, .minimal)
        XCTAssertEqual(result.searchPath, [own])
        XCTAssertEqual(result.summary, "kdump: minimal image (ext4 UUID=1234)")
        XCTAssertFalse(result.isFallback)
    }

    func testTheMinimalImageLeavesOutWhatItHasNotAndSaysWhy() throws {
        let result = try XCTUnwrap(
            plan(ModuleRequest(add: ["kdumpbase", "squash", "ifcfg"], forceAdd: ["shutdown"], omit: ["plymouth"])))
        XCTAssertEqual(result.request.add, ["kdumpbase"])
        XCTAssertEqual(result.request.forceAdd, [])
        XCTAssertEqual(result.request.omit, ["plymouth"])
        XCTAssertEqual(result.leftOut.count, 3)
        XCTAssertTrue(result.leftOut[0].contains("'squash'") && result.leftOut[0].contains("crash memory"), result.leftOut[0])
        XCTAssertTrue(result.leftOut[1].hasSuffix("'ifcfg': it is not one of the minimal image's modules"))
    }

    /// mkdumprd on a dracut-ng tree asks for squash-squashfs or squash-erofs instead of squash:
    /// the minimal image leaves them out with the same reason.
    func testTheMinimalImageLeavesOutDracutNGsSquashModulesWithTheSquashReason() throws {
        for name in ["squash-squashfs", "squash-erofs"] {
            let result = try XCTUnwrap(plan(ModuleRequest(add: ["kdumpbase", name])))
            XCTAssertEqual(result.request.add, ["kdumpbase"])
            XCTAssertEqual(
                result.leftOut,
                [
                    "kdump: the minimal image leaves out '\(name)': it unpacks to a few megabytes, so a squash "
                        + "loader would cost crash memory rather than save it"
                ])
        }
        XCTAssertTrue(KdumpImagePlanner.leftOutLine("squashfs").hasSuffix("it is not one of the minimal image's modules"))
    }

    func testATargetTheMinimalImageCannotServeFallsBackToTheDistribution() throws {
        let reason = "kdump.conf:1: 'nfs': network dump targets are not supported by the minimal image"
        let result = try XCTUnwrap(plan(ModuleRequest(add: ["kdumpbase", "squash"]), answer: .cannotServe(reason)))
        XCTAssertEqual(result.image, .distribution)
        XCTAssertEqual(result.searchPath, [distribution, own])
        XCTAssertEqual(result.request.add, ["kdumpbase", "squash"])
        XCTAssertEqual(result.summary, "kdump: distribution image: " + reason)
        XCTAssertTrue(result.isFallback)
    }

    func testWithoutADistributionKdumpbaseTheBuildFailsNamingTheDirective() {
        XCTAssertThrowsError(
            try plan(ModuleRequest(modules: ["kdumpbase"]), searchPath: [own], answer: .cannotServe("kdump.conf:2: 'ssh'"))
        ) { error in
            XCTAssertEqual(
                "\(error)", "kdump: kdump.conf:2: 'ssh', and there is no distribution kdumpbase to fall back to")
        }
    }

    func testDistroKeepsTheModulePathAndAsksNothing() throws {
        let planner = KdumpImagePlanner(searchPath: [distribution, own], ownModules: own, prefersMinimal: false)
        let result = try XCTUnwrap(
            planner.plan(for: ModuleRequest(add: ["kdumpbase"])) { _ in
                XCTFail("kdump_image=distro does not ask the minimal image")
                return .serves("")
            })
        XCTAssertEqual(result.image, .distribution)
        XCTAssertEqual(result.searchPath, [distribution, own])
        XCTAssertEqual(result.summary, "kdump: distribution image (kdump_image=distro): \(distribution)/99kdumpbase")
        XCTAssertFalse(result.isFallback)
    }
}
