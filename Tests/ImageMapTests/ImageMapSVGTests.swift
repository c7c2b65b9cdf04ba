import Foundation
import XCTest
@testable import ImageMap

#if canImport(FoundationXML)
import FoundationXML
#endif

final class ImageMapSVGTests: XCTestCase {
    private func entry(_ path: [UInt8], _ size: Int, _ group: String? = nil, _ step: String? = nil) -> ImageMapEntry {
        ImageMapEntry(path: path, size: size, group: group, step: step)
    }

    private var sampleEntries: [ImageMapEntry] {
        var entries: [ImageMapEntry] = []
        var generator = SplitMix(seed: 7)
        for module in ["kernel-modules", "busybox", "kdumpbase", "base", "kindling"] {
            for index in 0..<40 {
                let directory = ["usr/bin", "usr/lib/modules/6.1/kernel/drivers", "etc", "lib"][index % 4]
                let size = Int(generator.next() % 50_000) + 1
                entries.append(entry(Array("\(directory)/\(module)-\(index)".utf8), size, module, "inst \(index)"))
            }
        }
        entries.append(entry(Array("usr/lib/empty".utf8), 0, "no-bytes", "inst_dir"))
        return entries
    }

    func testTheDocumentIsWellFormedAndEveryBoxIsInsideItsParent() throws {
        let svg = ImageMap(title: "kdump.img", entries: sampleEntries).svg()
        let document = try SVGBoxes(svg)
        XCTAssertGreaterThan(document.boxes.count, 200)
        for box in document.boxes {
            guard let parent = box.parent else { continue }
            let outer = document.boxes[parent].rectangle
            XCTAssertTrue(
                box.rectangle.x >= outer.x - 0.01 && box.rectangle.y >= outer.y - 0.01
                    && box.rectangle.maxX <= outer.maxX + 0.01 && box.rectangle.maxY <= outer.maxY + 0.01,
                "\(box.title) is outside its parent \(document.boxes[parent].title)")
        }
        // Siblings never overlap (beyond the rounding of the coordinates to hundredths).
        let byParent = Dictionary(grouping: document.boxes.indices, by: { document.boxes[$0].parent ?? -1 })
        for siblings in byParent.values {
            for first in siblings {
                for second in siblings where second > first {
                    let a = document.boxes[first].rectangle, b = document.boxes[second].rectangle
                    let width = min(a.maxX, b.maxX) - max(a.x, b.x), height = min(a.maxY, b.maxY) - max(a.y, b.y)
                    XCTAssertFalse(width > 0.02 && height > 0.02, "\(document.boxes[first].title) overlaps \(document.boxes[second].title)")
                }
            }
        }
    }

    func testTopLevelBoxesAreTheModulesWithAreasInProportionToTheirBytes() throws {
        let entries = sampleEntries
        let map = ImageMap(title: "kdump.img", entries: entries)
        let document = try SVGBoxes(map.svg())
        let top = document.boxes.filter { $0.parent == nil }
        XCTAssertEqual(Set(top.map(\.name)), ["kernel-modules", "busybox", "kdumpbase", "base", "kindling"])
        let total = entries.reduce(0) { $0 + $1.size }
        XCTAssertEqual(document.totalBytes, total)
        XCTAssertEqual(top.reduce(0) { $0 + $1.bytes }, total)
        let mapArea = map.width * (map.height - SVGMapWriter.captionHeight)
        for box in top {
            XCTAssertEqual(box.rectangle.area / mapArea, Double(box.bytes) / Double(total), accuracy: 0.001, box.name)
        }
        XCTAssertTrue(document.caption.contains("no bytes from: no-bytes"), document.caption)
        XCTAssertTrue(document.caption.contains("bytes) before compression in 200 files, 5 modules"), document.caption)
    }

    func testTooltipsNameThePathSizeModuleAndStep() throws {
        let document = try SVGBoxes(
            ImageMap(title: "x.img", entries: [entry(Array("usr/bin/cat".utf8), 44016, "helpers", "inst /usr/bin/cat")]).svg())
        let titles = document.boxes.map(\.title)
        XCTAssertEqual(titles.first, "module helpers\n43.0 KiB (44,016 bytes) in 1 file")
        XCTAssertTrue(titles.contains("/usr/bin/cat\n43.0 KiB (44,016 bytes)\nmodule: helpers\nstep: inst /usr/bin/cat"), "\(titles)")
        XCTAssertTrue(titles.contains("/usr/bin/\n43.0 KiB (44,016 bytes) in 1 file\nmodule: helpers"), "\(titles)")
    }

    /// Names are bytes: markup characters, bytes that are not UTF-8 and control characters must
    /// leave the document well formed.
    func testHostileNamesKeepTheDocumentValid() throws {
        let hostile: [UInt8] = Array("etc/<a href=\"x\">&amp;'".utf8) + [0xFF, 0xC3, 0x01, 0x1B, 0x7F, 0x0A] + Array("z".utf8)
        let map = ImageMap(
            title: "a&b<c>.img", entries: [entry(hostile, 5000, "mod<&>\"'", "inst \u{1}x"), entry(Array("etc/ok".utf8), 10, "mod<&>\"'")])
        let document = try SVGBoxes(map.svg())
        XCTAssertEqual(document.boxes.first?.name, "mod<&>\"'")
        let file = try XCTUnwrap(document.boxes.first { $0.title.hasPrefix("/etc/<a") })
        XCTAssertTrue(file.title.hasPrefix("/etc/<a href=\"x\">&amp;'\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}z\n"), file.title)
        XCTAssertTrue(file.title.hasSuffix("step: inst \u{FFFD}x"), file.title)
        XCTAssertTrue(document.caption.hasPrefix("a&b<c>.img: "), document.caption)
    }

    func testLabelsAppearOnlyInBoxesBigEnoughForThem() throws {
        var entries = [entry(Array("big".utf8), 1_000_000)]
        entries += (0..<50).map { entry(Array("tiny-\($0)".utf8), 1) }
        let document = try SVGBoxes(ImageMap(title: "x.img", entries: entries).svg())
        XCTAssertTrue(document.labels.contains { $0.hasPrefix("big ") }, "\(document.labels)")
        XCTAssertFalse(document.labels.contains { $0.hasPrefix("tiny") }, "\(document.labels)")
    }

    func testAnEmptyImageIsAnEmptyMap() throws {
        let document = try SVGBoxes(ImageMap(title: "empty.img", entries: []).svg())
        XCTAssertEqual(document.boxes.count, 0)
        XCTAssertEqual(document.totalBytes, 0)
    }
}

/// The boxes of a map, read back with an XML parser: a parse error fails the test.
private struct SVGBoxes {
    struct Box {
        var parent: Int?
        var name = ""
        var bytes = 0
        var title = ""
        var rectangle = MapRect(x: 0, y: 0, width: 0, height: 0)
    }

    var boxes: [Box] = []
    var labels: [String] = []
    var caption = ""
    var totalBytes = -1

    init(_ svg: [UInt8]) throws {
        let reader = Reader()
        let parser = XMLParser(data: Data(svg))
        parser.delegate = reader
        guard parser.parse() else {
            throw NSError(domain: "SVG", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(parser.parserError.map { "\($0)" } ?? "?")"])
        }
        boxes = reader.boxes
        labels = reader.labels
        caption = reader.caption
        totalBytes = reader.totalBytes
    }

    private final class Reader: NSObject, XMLParserDelegate {
        var boxes: [Box] = []
        var labels: [String] = []
        var caption = ""
        var totalBytes = -1
        /// For each open <g>: the index of its box, nil for the map's own group.
        private var open: [Int?] = []
        private var text = ""

        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]
        ) {
            text = ""
            switch name {
            case "g":
                if attributes["id"] == "map" {
                    totalBytes = Int(attributes["data-bytes"] ?? "") ?? -2
                    open.append(nil)
                } else {
                    let parent = open.last ?? nil
                    boxes.append(Box(parent: parent, name: attributes["data-name"] ?? "", bytes: Int(attributes["data-bytes"] ?? "") ?? -1))
                    open.append(boxes.count - 1)
                }
            case "rect":
                guard let current = open.last ?? nil else { return }
                let value = { Double(attributes[$0] ?? "") ?? .nan }
                boxes[current].rectangle = MapRect(x: value("x"), y: value("y"), width: value("width"), height: value("height"))
            default: break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            switch name {
            case "g": open.removeLast()
            case "title":
                if let current = open.last ?? nil {
                    boxes[current].title = text
                }
            case "text":
                if open.isEmpty { caption = text } else { labels.append(text) }
            default: break
            }
        }
    }
}
