import Support

/// A treemap of an image as one SVG file: every file is a box whose area is its size before
/// compression, inside boxes for its directories, inside a top-level box for its group (the module
/// that installed it, for `kindling --explain-svg`) or its top directory (`kindling-lsinitrd --svg`).
/// Each box has a tooltip (an SVG `<title>`): its path, size, group and the step that installed it.
///
/// The file stands alone: no script, no font or link to load, valid XML whatever bytes the file
/// names hold, so any browser shows it from a local file.
public struct ImageMap {
    /// What the map is of, for its title line: the image's name.
    public var title: String
    public var entries: [ImageMapEntry]
    /// What a group is, for the tooltips: "module" for --explain's provenance.
    public var groupNoun = "module"
    /// The drawing's size in SVG user units (pixels, where a browser shows it at 100%).
    public var width = 1280.0
    public var height = 800.0

    public init(title: String, entries: [ImageMapEntry]) {
        self.title = title
        self.entries = entries
    }

    /// The SVG document, as UTF-8.
    public func svg() -> [UInt8] {
        let boxes = MapNode.topLevel(of: entries)
        var writer = SVGMapWriter(groupNoun: groupNoun)
        writer.begin(width: width, height: height, caption: caption(boxes))
        let mapArea = MapRect(x: 0, y: SVGMapWriter.captionHeight, width: width, height: height - SVGMapWriter.captionHeight)
        writer.drawTopLevel(boxes, in: mapArea)
        writer.end()
        return Array(writer.output.utf8)
    }

    /// The title line: the image, its bytes and files, and the groups that brought no bytes (they
    /// have no area, so they would otherwise not be seen at all).
    private func caption(_ boxes: [MapNode]) -> String {
        let total = MapNode.total(boxes)
        let files = boxes.reduce(0) { $0 + $1.fileCount }
        var caption =
            "\(PathBytes.visible(title)): \(MapNumber.bytes(total)) (\(MapNumber.grouped(total)) bytes) before compression in \(MapNumber.counted(files, "file"))"
        let groups = boxes.filter { $0.kind == .group }
        if !groups.isEmpty { caption += ", " + MapNumber.counted(groups.count, groupNoun) }
        var shown = Set(groups.compactMap(\.group))
        var empty: [String] = []
        for entry in entries {
            if let group = entry.group, shown.insert(group).inserted { empty.append(group) }
        }
        if !empty.isEmpty { caption += "; no bytes from: " + empty.sorted().joined(separator: ", ") }
        return caption
    }
}

extension MapNode {
    var fileCount: Int { kind == .file ? 1 : children.reduce(0) { $0 + $1.fileCount } }
}
