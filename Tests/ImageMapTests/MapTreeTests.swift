import XCTest
@testable import ImageMap

final class MapTreeTests: XCTestCase {
    private func entry(_ path: String, _ size: Int, _ group: String? = nil, _ step: String? = nil) -> ImageMapEntry {
        ImageMapEntry(path: Array(path.utf8), size: size, group: group, step: step)
    }

    private func labels(_ nodes: [MapNode]) -> [String] { nodes.map { String(decoding: $0.label, as: UTF8.self) } }

    func testGroupsAreTheTopLevelThenDirectoriesThenFiles() {
        let top = MapNode.topLevel(of: [
            entry("usr/bin/cat", 40, "helpers", "inst /usr/bin/cat"),
            entry("usr/bin/ls", 100, "helpers", "inst /usr/bin/ls"),
            entry("etc/conf", 7, "base", "install() shell code"),
            entry("usr/lib/dracut/modules.txt", 10, "kindling", "modules.txt"),
        ])
        XCTAssertEqual(labels(top), ["helpers", "kindling", "base"], "largest first")
        XCTAssertEqual(top.map(\.kind), [.group, .group, .group])
        XCTAssertEqual(top.map(\.size), [140, 10, 7])
        let helpers = top[0]
        XCTAssertEqual(labels(helpers.children), ["usr/bin"], "a directory holding only a directory is one box")
        XCTAssertEqual(helpers.children[0].path, Array("usr/bin".utf8))
        XCTAssertEqual(labels(helpers.children[0].children), ["ls", "cat"])
        let cat = helpers.children[0].children[1]
        XCTAssertEqual(cat.kind, .file)
        XCTAssertEqual(cat.path, Array("usr/bin/cat".utf8))
        XCTAssertEqual(cat.group, "helpers")
        XCTAssertEqual(cat.step, "inst /usr/bin/cat")
        XCTAssertEqual(labels(top[1].children), ["usr/lib/dracut"])
    }

    func testWithoutGroupsTheTopDirectoriesAreTheTopLevel() {
        let top = MapNode.topLevel(of: [
            entry("usr/lib/modules/6.1/kernel/a.ko", 500),
            entry("usr/bin/sh", 100),
            entry("etc/ld.so.cache", 30),
            entry("init", 20),
        ])
        XCTAssertEqual(labels(top), ["usr", "etc", "init"], "a top directory keeps its own name")
        XCTAssertEqual(top.map(\.kind), [.directory, .directory, .file])
        XCTAssertEqual(labels(top[0].children), ["lib/modules/6.1/kernel", "bin"])
        XCTAssertEqual(top[0].children[0].path, Array("usr/lib/modules/6.1/kernel".utf8))
        XCTAssertNil(top[0].group)
    }

    func testPathsWithoutBytesTakeNoBox() {
        let top = MapNode.topLevel(of: [
            entry("usr", 0, "kindling"), entry("usr/bin", 0, "kindling"), entry("bin", 0, "kindling"),
            entry("usr/bin/sh", 0, "busybox"), entry("usr/bin/busybox", 900, "busybox"),
        ])
        XCTAssertEqual(labels(top), ["busybox"])
        XCTAssertEqual(MapNode.total(top), 900)
        XCTAssertEqual(top[0].fileCount, 1)
    }

    func testEqualSizesAreOrderedByName() {
        let top = MapNode.topLevel(of: [entry("b", 5), entry("c", 5), entry("a", 5)])
        XCTAssertEqual(labels(top), ["a", "b", "c"])
    }
}
