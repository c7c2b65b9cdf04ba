#if canImport(Glibc)
import Glibc
#endif
import Archive
import Foundation
import StagedTree
import XCTest

final class ProvenanceTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "provenance-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    private func write(_ relative: String, _ text: String) throws {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    func testEachPathKeepsTheFirstStepThatAddedIt() throws {
        let recorder = ProvenanceRecorder(root: root)
        try write("usr/bin/tool", "x")
        recorder.attributeNewPaths(to: Provenance(module: "a", step: "inst /usr/bin/tool"))
        try write("usr/bin/tool", "rewritten")
        try write("etc/conf", "y")
        recorder.attributeNewPaths(to: Provenance(module: "b", step: "install() shell code"))

        XCTAssertEqual(recorder.provenance(of: "usr/bin/tool"), Provenance(module: "a", step: "inst /usr/bin/tool"))
        XCTAssertEqual(recorder.provenance(of: "usr"), Provenance(module: "a", step: "inst /usr/bin/tool"))
        XCTAssertEqual(recorder.provenance(of: "etc/conf"), Provenance(module: "b", step: "install() shell code"))
        XCTAssertNil(recorder.provenance(of: "etc/other"))
    }

    func testACompressedFileIsCreditedToTheStepThatInstalledTheOriginal() throws {
        let recorder = ProvenanceRecorder(root: root)
        try write("lib/modules/k/ext4.ko", "module")
        recorder.attributeNewPaths(to: Provenance(module: "storage", step: "instmods ext4"))
        try FileManager.default.moveItem(atPath: root + "/lib/modules/k/ext4.ko", toPath: root + "/lib/modules/k/ext4.ko.xz")
        recorder.attributeNewPaths(to: Provenance(module: "kdump", step: "installkernel() shell code"))

        XCTAssertEqual(
            recorder.provenance(of: "lib/modules/k/ext4.ko.xz"),
            Provenance(module: "storage", step: "instmods ext4, compressed by kdump installkernel() shell code"))
    }

    func testTheReportListsEveryEntryWithItsSizeAndTotalsPerModule() throws {
        let recorder = ProvenanceRecorder(root: root)
        try write("big", String(repeating: "b", count: 1000))
        recorder.attributeNewPaths(to: Provenance(module: "first", step: "inst /big"))
        try write("odd\tname\n", "12")
        recorder.attributeNewPaths(to: .engine("base layout"))
        let entries = try TreeScanner(root: root).entries()

        let report = String(decoding: ProvenanceReport(entries: entries, recorder: recorder, imageName: "x.img").render(), as: UTF8.self)
        let lines = report.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("1000\t/big\tfirst\tinst /big"), report)
        XCTAssertTrue(lines.contains("2\t/odd\\tname\\n\tkindling\tbase layout"), report)
        // The biggest module comes first in the summary.
        let summary = lines.filter { $0.hasPrefix("#\t") }
        XCTAssertEqual(summary, ["#\t1000\tfirst\t1 paths", "#\t2\tkindling\t1 paths"])
        XCTAssertFalse(lines.contains { $0.hasSuffix("\t.") || $0.contains("\t/.\t") }, "the root itself is not listed")
    }

    /// --explain-svg draws the rows --explain writes: the same bytes, a top-level box per module.
    func testTheMapIsDrawnFromTheReportsRows() throws {
        let recorder = ProvenanceRecorder(root: root)
        try write("usr/bin/tool", String(repeating: "t", count: 3000))
        recorder.attributeNewPaths(to: Provenance(module: "tools", step: "inst /usr/bin/tool"))
        try write("etc/a&b", "12345")
        recorder.attributeNewPaths(to: .engine("base layout"))
        let report = ProvenanceReport(entries: try TreeScanner(root: root).entries(), recorder: recorder, imageName: "x.img")

        let svg = String(decoding: report.imageMap().svg(), as: UTF8.self)
        XCTAssertEqual(report.rows.reduce(0) { $0 + $1.size }, 3005)
        XCTAssertTrue(svg.contains("<g id=\"map\" data-bytes=\"3005\">"), svg)
        XCTAssertTrue(svg.contains("data-name=\"tools\""), svg)
        XCTAssertTrue(svg.contains("data-name=\"kindling\""), svg)
        XCTAssertTrue(svg.contains("<title>/usr/bin/tool\n2.9 KiB (3,000 bytes)\nmodule: tools\nstep: inst /usr/bin/tool</title>"), svg)
        XCTAssertTrue(svg.contains("/etc/a&amp;b"), svg)
    }
}
