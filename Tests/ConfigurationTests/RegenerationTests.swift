import Foundation
import XCTest
@testable import Configuration
import Support

final class RegenerationTests: XCTestCase {
    var root: String!

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "kindling-regenerate-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func load(_ arguments: [String]) throws -> BuildConfiguration {
        try ConfigurationLoader(environment: [:], ownModules: "/own", kernelRelease: { "9.9-running" })
            .load(arguments: arguments, logger: Logger(level: .fatal))
    }

    func regeneration(_ arguments: [String]) throws -> Regeneration {
        guard case .regenerateAll(let regeneration) = try load(arguments).action else {
            XCTFail("not a regeneration: \(arguments)")
            return Regeneration(parallel: false, commonArguments: [])
        }
        return regeneration
    }

    func testChildrenGetTheOtherArgumentsAndTheirKernel() throws {
        let plan = try regeneration(["--sysroot", root, "--regenerate-all", "-m", "base", "--parallel", "--regen", "-f"])
        XCTAssertTrue(plan.parallel)
        XCTAssertEqual(plan.arguments(forKernel: "6.1.0-9"), ["--kver=6.1.0-9", "--sysroot", root, "-m", "base", "-f"])
    }

    func testShortParallelAloneIsDroppedAndInAClusterKept() throws {
        let plan = try regeneration(["--sysroot", root, "-p", "--regenerate-all", "-fp"])
        XCTAssertTrue(plan.parallel)
        XCTAssertEqual(plan.commonArguments, ["--sysroot", root, "-fp"])
        XCTAssertFalse(try regeneration(["--sysroot", root, "--regenerate-all"]).parallel)
    }

    func testParallelMayComeFromTheConfig() throws {
        try "parallel=yes\n".write(toFile: root + "/etc/dracut.conf", atomically: true, encoding: .utf8)
        XCTAssertTrue(try regeneration(["--sysroot", root, "--regenerate-all"]).parallel)
    }

    func testKernelVersionOrImageFileIsRefused() {
        for (arguments, message) in [
            (["--regenerate-all", "--kver", "6.1"], "--regenerate-all cannot be called with a kernel version"),
            (["--regenerate-all", "out.img", "6.1"], "--regenerate-all cannot be called with a kernel version"),
            (["--regenerate-all", "out.img"], "--regenerate-all cannot be called with an image file"),
        ] {
            XCTAssertThrowsError(try load(["--sysroot", root] + arguments)) { XCTAssertEqual("\($0)", message) }
        }
    }

    func testKernelsAreTheModuleDirectoriesWithAnIndex() throws {
        for (kernel, index) in [("6.1.0-10", "modules.dep"), ("6.1.0-9", "modules.dep.bin"), ("5.0-empty", nil)] {
            try FileManager.default.createDirectory(atPath: "\(root!)/lib/modules/\(kernel)", withIntermediateDirectories: true)
            if let index { FileManager.default.createFile(atPath: "\(root!)/lib/modules/\(kernel)/\(index)", contents: nil) }
        }
        XCTAssertEqual(try Regeneration.kernels(sysroot: root), ["6.1.0-9", "6.1.0-10"])
        XCTAssertThrowsError(try Regeneration.kernels(sysroot: root + "/nowhere")) {
            XCTAssertEqual("\($0)", "--regenerate-all: cannot read \(self.root!)/nowhere/lib/modules")
        }
    }
}
