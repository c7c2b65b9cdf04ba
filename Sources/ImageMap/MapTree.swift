import Support

/// One path of an image as the map draws it.
public struct ImageMapEntry: Sendable {
    /// The path in the image, without a leading slash; bytes, as names need not be UTF-8.
    public var path: [UInt8]
    /// Bytes before compression. Directories, symbolic links and devices have none: they take no area.
    public var size: Int
    /// The top-level box the entry goes into (the module that installed it); nil puts it under its
    /// top directory instead.
    public var group: String?
    /// What put it there (the helper call), for the tooltip.
    public var step: String?

    public init(path: [UInt8], size: Int, group: String? = nil, step: String? = nil) {
        self.path = path
        self.size = size
        self.group = group
        self.step = step
    }
}

/// A box of the map: a group (a module), a directory or a file, holding the bytes of everything
/// under it. Only what has bytes is kept: a box without area could not be seen.
struct MapNode: Equatable {
    enum Kind: Equatable {
        case group, directory, file
    }

    var kind: Kind
    /// What the box is labelled with: the group, the directory (or a chain of directories that
    /// each hold only the next, "usr/lib/modules"), or the file name.
    var label: [UInt8]
    /// The path in the image, without a leading slash; empty for a group.
    var path: [UInt8] = []
    /// The group the box belongs to, if the map has groups.
    var group: String?
    /// For a file: the step that installed it.
    var step: String?
    var size: Int
    /// Largest first: the order the layout wants and the reader expects.
    var children: [MapNode] = []

    /// The top-level boxes for `entries`, largest first: each entry's group where it has one,
    /// otherwise its top directory (or the file itself, for a file at the root).
    static func topLevel(of entries: [ImageMapEntry]) -> [MapNode] {
        let ungrouped = DirectoryTrie(group: nil)
        var groups: [String: DirectoryTrie] = [:]
        var groupOrder: [String] = []
        for entry in entries where entry.size > 0 {
            let components = entry.path.split(separator: UInt8(ascii: "/")).map(Array.init)
            guard !components.isEmpty else { continue }
            var trie = ungrouped
            if let group = entry.group {
                if groups[group] == nil {
                    groups[group] = DirectoryTrie(group: group)
                    groupOrder.append(group)
                }
                trie = groups[group]!
            }
            trie.insert(entry, at: components[...])
        }
        var nodes = ungrouped.nodes(under: [], collapsing: false)
        for name in groupOrder {
            let children = groups[name]!.nodes(under: [], collapsing: true)
            nodes.append(MapNode(kind: .group, label: PathBytes.bytes(name), group: name, size: total(children), children: children))
        }
        return largestFirst(nodes)
    }

    static func total(_ nodes: [MapNode]) -> Int { nodes.reduce(0) { $0 + $1.size } }

    /// Largest first; equal sizes by label, so the same entries always give the same map.
    static func largestFirst(_ nodes: [MapNode]) -> [MapNode] {
        nodes.sorted { $0.size != $1.size ? $0.size > $1.size : $0.label.lexicographicallyPrecedes($1.label) }
    }
}

/// The paths of one group (or of the ungrouped entries) while the tree is built.
private final class DirectoryTrie {
    /// The group of every entry below: a trie holds one group's entries.
    let group: String?
    private var files: [ImageMapEntry] = []
    private var directories: [[UInt8]: DirectoryTrie] = [:]

    init(group: String?) { self.group = group }

    func insert(_ entry: ImageMapEntry, at components: ArraySlice<[UInt8]>) {
        guard let first = components.first else { return }
        if components.count == 1 {
            files.append(entry)
            return
        }
        let directory = directories[first] ?? DirectoryTrie(group: group)
        directories[first] = directory
        directory.insert(entry, at: components.dropFirst())
    }

    /// The boxes of this level, whose path is `parent`.
    func nodes(under parent: [UInt8], collapsing: Bool) -> [MapNode] {
        func path(_ name: [UInt8]) -> [UInt8] { parent.isEmpty ? name : parent + [UInt8(ascii: "/")] + name }
        var nodes = files.map { file in
            let name = Array(file.path.split(separator: UInt8(ascii: "/")).last ?? [])
            return MapNode(kind: .file, label: name, path: path(name), group: group, step: file.step, size: file.size)
        }
        for (name, trie) in directories {
            let children = trie.nodes(under: path(name), collapsing: true)
            var directory = MapNode(
                kind: .directory, label: name, path: path(name), group: group, size: MapNode.total(children), children: children)
            // A directory that holds only one directory is drawn as one box, so that a deep single
            // path (usr/lib/modules/KVER/kernel) does not spend its area on nested frames.
            if collapsing, children.count == 1, let only = children.first, only.kind == .directory {
                directory.label += [UInt8(ascii: "/")] + only.label
                directory.path = only.path
                directory.children = only.children
            }
            nodes.append(directory)
        }
        return MapNode.largestFirst(nodes)
    }
}
