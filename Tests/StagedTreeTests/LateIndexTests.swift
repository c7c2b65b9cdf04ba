import Archive
import Foundation
import Support
import XCTest

@testable import StagedTree

/// The pieces that let the image be written while depmod still writes the module index into the
/// tree: the scan leaves its files for later, late files join the archive only when no hardlink
/// group would span them and the files before, the tree stays until depmod is done, and kernel
/// modules can be stripped apart from the rest.
final class LateIndexTests: XCTestCase {
    private var root = ""
    private let moduleDirectory = "usr/lib/modules/6.1.0-test"

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "kindling-late-index-\(UUID().uuidString)"
        try FileManager.default.createDirectory(
            atPath: root + "/" + moduleDirectory + "/kernel", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: root)
    }

    private var deferred: DeferredFiles { DeferredFiles(directory: RawPath(moduleDirectory), namePrefix: "modules.") }

    private func write(_ path: String, _ text: String, time: TimeInterval = 1_700_000_000) throws {
        try text.write(toFile: root + "/" + path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o644, .modificationDate: Date(timeIntervalSince1970: time)], ofItemAtPath: root + "/" + path)
    }

    /// The scan leaves out the module directory's modules.* files (not a directory so named, nor
    /// such a name elsewhere); `deferredEntries` lists them as they are later, sorted.
    func testScanLeavesTheIndexForLater() throws {
        try write(moduleDirectory + "/kernel/x.ko", "x")
        try write(moduleDirectory + "/modules.order", "kernel/x.ko\n")
        try write("etc/modules.conf", "kept\n")
        try FileManager.default.createDirectory(
            atPath: root + "/" + moduleDirectory + "/modules.d", withIntermediateDirectories: true)
        let scanner = TreeScanner(root: root, deferring: deferred)
        let paths = try scanner.entries().map(\.path.description)
        XCTAssertEqual(
            paths,
            [
                ".", "etc", "etc/modules.conf", "usr", "usr/lib", "usr/lib/modules", moduleDirectory,
                moduleDirectory + "/kernel", moduleDirectory + "/kernel/x.ko", moduleDirectory + "/modules.d",
            ])
        try write(moduleDirectory + "/modules.dep", "kernel/x.ko:\n")
        XCTAssertEqual(
            try scanner.deferredEntries().map(\.path.description),
            [moduleDirectory + "/modules.dep", moduleDirectory + "/modules.order"])
        XCTAssertEqual(deferred.firstPath, RawPath(moduleDirectory + "/modules."))
        // Without deferring, everything is there at once.
        XCTAssertEqual(try TreeScanner(root: root).entries().count, paths.count + 2)
    }

    /// Late files are linked among themselves; one that would join a group of the files before
    /// (the same inode, or identical bytes, mode and time while linking) refuses the whole set.
    func testLateFilesJoinOnlyWhenNoGroupSpansTheEarlierOnes() throws {
        try write("etc/a", "same\n")
        try write("etc/b", "other\n", time: 1_700_000_100)
        try write(moduleDirectory + "/modules.alias", "alias\n")
        try write(moduleDirectory + "/modules.softdep", "alias\n")
        let scanner = TreeScanner(root: root, deferring: deferred)
        let earlier = try scanner.entries()
        var late = try scanner.deferredEntries()
        XCTAssertTrue(ArchivePolish.joinLateEntries(&late, to: earlier, linksIdenticalFiles: true))
        XCTAssertNotNil(late[0].hardlinkIdentity)
        XCTAssertEqual(late[0].hardlinkIdentity, late[1].hardlinkIdentity)
        // Not linked when hardlink is off.
        late = try scanner.deferredEntries()
        XCTAssertTrue(ArchivePolish.joinLateEntries(&late, to: earlier, linksIdenticalFiles: false))
        XCTAssertNil(late[0].hardlinkIdentity)

        // Identical to an earlier file, with its mode and time.
        try write(moduleDirectory + "/modules.dep", "same\n")
        late = try scanner.deferredEntries()
        let before = late
        XCTAssertFalse(ArchivePolish.joinLateEntries(&late, to: earlier, linksIdenticalFiles: true))
        XCTAssertEqual(late, before)
        XCTAssertTrue(ArchivePolish.joinLateEntries(&late, to: earlier, linksIdenticalFiles: false))
        // The same bytes at another time are another file for hardlink.
        try write(moduleDirectory + "/modules.dep", "same\n", time: 1_700_000_001)
        late = try scanner.deferredEntries()
        XCTAssertTrue(ArchivePolish.joinLateEntries(&late, to: earlier, linksIdenticalFiles: true))

        // The same inode as an earlier file: refused whether or not identical files are linked.
        try FileManager.default.linkItem(atPath: root + "/etc/b", toPath: root + "/" + moduleDirectory + "/modules.link")
        let linkedEarlier = try scanner.entries()
        late = try scanner.deferredEntries()
        XCTAssertFalse(ArchivePolish.joinLateEntries(&late, to: linkedEarlier, linksIdenticalFiles: false))
        XCTAssertFalse(ArchivePolish.joinLateEntries(&late, to: linkedEarlier, linksIdenticalFiles: true))
    }

    /// While held, what the writer hands over stays in the tree; released, it goes.
    func testHeldFilesStayUntilReleased() throws {
        try write(moduleDirectory + "/kernel/x.ko", "x")
        try write("etc/a", "a\n")
        let entries = try TreeScanner(root: root).entries()
        let removal = WrittenFileRemoval(imageRoot: root)
        removal.hold()
        for entry in entries { removal.writerIsDone(with: entry) }
        removal.finish()
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/" + moduleDirectory + "/kernel/x.ko"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/etc/a"))
        removal.release()
        removal.finish()
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/" + moduleDirectory + "/kernel/x.ko"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/etc/a"))
    }

    /// A pass over kernel modules strips them alone, a pass over the rest everything but them.
    func testStripScopesSplitModulesFromTheRest() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/gcc") else { throw XCTSkip("gcc is not installed") }
        try "int kindling_answer(void) { return 42; }\n".write(toFile: root + "/answer.c", atomically: false, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: root + "/usr/bin", withIntermediateDirectories: true)
        let module = root + "/" + moduleDirectory + "/kernel/answer.ko", program = root + "/usr/bin/answer"
        for (arguments, output) in [(["-c"], module), (["-shared", "-fPIC"], program)] {
            let compiled = try runCommand("/usr/bin/gcc", ["-g", "-O1"] + arguments + ["-o", output, root + "/answer.c"])
            XCTAssertEqual(compiled.status, 0, compiled.errorText)
        }
        chmod(program, 0o755)
        func size(_ path: String) -> Int { (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1 }
        let (moduleSize, programSize) = (size(module), size(program))
        let logger = Logger(level: .fatal)
        try Stripper(imageRoot: root, aggressive: false, logger: logger, scope: .kernelModules).run()
        XCTAssertLessThan(size(module), moduleSize)
        XCTAssertEqual(size(program), programSize)
        let strippedModule = size(module)
        try Stripper(imageRoot: root, aggressive: false, logger: logger, scope: .allButKernelModules).run()
        XCTAssertLessThan(size(program), programSize)
        XCTAssertEqual(size(module), strippedModule)
    }
}
