import Support

/// Writes the boxes of an `ImageMap` as SVG elements: one `<g>` per box, holding its tooltip,
/// its rectangle, its label when there is room for one, and the boxes inside it. Top-level boxes
/// are the children of `<g id="map">`, each with its bytes in `data-bytes`, so that tools can read
/// the map back.
struct SVGMapWriter {
    static let captionHeight = 24.0
    private static let fontSize = 11.0
    /// Roughly the width of one character of sans-serif at `fontSize`, to cut labels to their box.
    private static let characterWidth = fontSize * 0.6

    let groupNoun: String
    private(set) var output = ""

    init(groupNoun: String) { self.groupNoun = groupNoun }

    mutating func begin(width: Double, height: Double, caption: String) {
        let size = "width=\"\(MapNumber.coordinate(width))\" height=\"\(MapNumber.coordinate(height))\""
        output += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        output += "<svg xmlns=\"http://www.w3.org/2000/svg\" \(size) "
        output += "viewBox=\"0 0 \(MapNumber.coordinate(width)) \(MapNumber.coordinate(height))\" "
        output += "font-family=\"sans-serif\" font-size=\"\(MapNumber.coordinate(Self.fontSize))\">\n"
        output += "<title>\(XMLText.escaped(XMLText.lossy(PathBytes.bytes(caption))))</title>\n"
        output += "<rect \(size) fill=\"#ffffff\"/>\n"
        // The caption's 13 units are about 7.2 wide a character.
        let captionText = XMLText.truncated(XMLText.lossy(PathBytes.bytes(caption)), toFit: Int((width - 12) / 7.2)) ?? ""
        output += "<text x=\"6\" y=\"17\" font-size=\"13\" fill=\"#111111\">\(XMLText.escaped(captionText))</text>\n"
    }

    mutating func end() {
        output += "</svg>\n"
    }

    /// The top-level boxes tile `area` exactly: their areas are their shares of the bytes.
    mutating func drawTopLevel(_ boxes: [MapNode], in area: MapRect) {
        output += "<g id=\"map\" data-bytes=\"\(MapNode.total(boxes))\">\n"
        let rectangles = SquarifiedLayout.rectangles(for: boxes.map { Double($0.size) }, in: area)
        for (index, (box, rectangle)) in zip(boxes, rectangles).enumerated() {
            draw(box, in: rectangle, hue: MapPalette.hue(ofTopLevelBoxAt: index), index: index, isTopLevel: true)
        }
        output += "</g>\n"
    }

    private mutating func draw(_ box: MapNode, in rectangle: MapRect, hue: Double, index: Int, isTopLevel: Bool) {
        guard rectangle.area > 0 else { return }
        let style = BoxStyle(box.kind, hue: hue, index: index, isTopLevel: isTopLevel)
        output += "<g class=\"\(style.className)\" data-bytes=\"\(box.size)\""
        if isTopLevel { output += " data-name=\"\(XMLText.escaped(XMLText.lossy(box.label)))\"" }
        output += "><title>\(XMLText.escaped(tooltip(box)))</title>"
        output += "<rect x=\"\(MapNumber.coordinate(rectangle.x))\" y=\"\(MapNumber.coordinate(rectangle.y))\" "
        output += "width=\"\(MapNumber.coordinate(rectangle.width))\" height=\"\(MapNumber.coordinate(rectangle.height))\" "
        output += "fill=\"\(style.fill)\" stroke=\"\(style.stroke)\" stroke-width=\"\(style.strokeWidth)\"/>"

        // A directory's label is its header; a file's, if it fits, sits in its box.
        let hasHeader = box.kind != .file && rectangle.width >= 30 && rectangle.height >= 2 * style.headerHeight
        if hasHeader || box.kind == .file {
            label(box, in: rectangle, color: style.textColor)
        }
        if box.kind != .file {
            // A box too small for its frame gives its children all of it: each file keeps a box,
            // and so its tooltip, however small.
            let inner = rectangle.inset(top: hasHeader ? style.headerHeight : style.padding, side: style.padding) ?? rectangle
            let rectangles = SquarifiedLayout.rectangles(for: box.children.map { Double($0.size) }, in: inner)
            for (childIndex, (child, childRectangle)) in zip(box.children, rectangles).enumerated() {
                draw(child, in: childRectangle, hue: hue, index: childIndex, isTopLevel: false)
            }
        }
        output += "</g>\n"
    }

    /// The box's name and size at its top left, cut to its width; nothing when even that is too small.
    private mutating func label(_ box: MapNode, in rectangle: MapRect, color: String) {
        guard rectangle.height >= Self.fontSize + 3 else { return }
        let text = XMLText.lossy(box.label) + " " + MapNumber.bytes(box.size)
        guard let shown = XMLText.truncated(text, toFit: Int((rectangle.width - 6) / Self.characterWidth)) else { return }
        let x = MapNumber.coordinate(rectangle.x + 3)
        // The baseline leaves room for descenders above the boxes drawn below the label.
        let y = MapNumber.coordinate(rectangle.y + Self.fontSize)
        output += "<text x=\"\(x)\" y=\"\(y)\" fill=\"\(color)\">\(XMLText.escaped(shown))</text>"
    }

    /// What hovering shows: the path (or the group), the size, the group and, for a file, its step.
    private func tooltip(_ box: MapNode) -> String {
        let size = "\(MapNumber.bytes(box.size)) (\(MapNumber.grouped(box.size)) bytes)"
        var lines: [String]
        switch box.kind {
        case .group:
            return "\(groupNoun) \(XMLText.lossy(box.label))\n\(size) in \(MapNumber.counted(box.fileCount, "file"))"
        case .directory:
            lines = ["/\(XMLText.lossy(box.path))/", "\(size) in \(MapNumber.counted(box.fileCount, "file"))"]
        case .file:
            lines = ["/\(XMLText.lossy(box.path))", size]
        }
        if let group = box.group { lines.append("\(groupNoun): \(XMLText.lossy(PathBytes.bytes(group)))") }
        if let step = box.step { lines.append("step: \(XMLText.lossy(PathBytes.bytes(step)))") }
        return lines.joined(separator: "\n")
    }
}

/// How a box is drawn. Top-level boxes have a dark frame and a dark header with white text; the
/// boxes inside keep their top-level box's hue, directories darker than files, with thin frames.
private struct BoxStyle {
    let className: String
    let fill: String
    let stroke: String
    let strokeWidth: String
    let textColor: String
    /// The strip at the top of a directory that holds its label.
    let headerHeight: Double
    /// The margin between a directory's frame and the boxes inside it.
    let padding: Double

    init(_ kind: MapNode.Kind, hue: Double, index: Int, isTopLevel: Bool) {
        switch kind {
        case .group: className = "group"
        case .directory: className = "directory"
        case .file: className = "file"
        }
        if kind == .file {
            fill = MapPalette.fileFill(hue: hue, index: index)
        } else {
            fill = isTopLevel ? MapPalette.groupFill(hue: hue) : MapPalette.directoryFill(hue: hue)
        }
        stroke = isTopLevel ? "#1a1a1a" : MapPalette.outline(hue: hue)
        strokeWidth = isTopLevel ? "1.5" : "0.5"
        textColor = isTopLevel && kind != .file ? "#ffffff" : "#111111"
        headerHeight = isTopLevel ? 16 : 14
        padding = isTopLevel ? 2 : 1.5
    }
}
