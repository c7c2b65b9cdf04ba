/// Builds the set of objects the loader would map for one program, in the order it maps them:
/// breadth first through DT_NEEDED, as glibc does, which is also the order ldd prints.
///
/// A needed name is satisfied without searching when an object already loaded was loaded under that
/// name or has it as its DT_SONAME; this is how `ld-linux-x86-64.so.2` needed by libc resolves to
/// the PT_INTERP path (`/lib64/...`) rather than to the cache's `/lib/x86_64-linux-gnu/...`. A found
/// file that is the same file (device and inode) as one already loaded is not loaded twice.
struct DependencyWalk {
    private struct Node {
        let file: LocatedFile
        let origin: String
        /// The object whose DT_NEEDED loaded this one; nil for the main program and its interpreter.
        let loader: Int?
    }

    private let search: LibrarySearch
    private var nodes: [Node] = []
    private var nodeByName: [String: Int] = [:]
    private var nodeByIdentity: [FileIdentity: Int] = [:]
    private var interpreter: (node: Int, path: String, isRequired: Bool, listed: Bool)?
    private(set) var dependencies = ELFDependencies()

    init(search: LibrarySearch) { self.search = search }

    /// Walks everything `root` needs. Its `$ORIGIN` is the directory of its canonical path: the
    /// loader takes it from /proc/self/exe when the program runs (ldd, which takes it from the path
    /// it was given, differs when that path goes through a symlink).
    mutating func walk(from root: LocatedFile) throws(SysrootPathError) {
        let rootNode = add(root, origin: PathText.directory(of: root.canonicalPath), loader: nil)
        if let soname = root.elf.soname { nodeByName[soname] = rootNode }
        if let path = root.elf.interpreter {
            try addInterpreter(path, isRequired: true)
        } else {
            // A library has no PT_INTERP, but the program that loads it has already loaded the
            // system's interpreter under its standard name, and ldd lists that: so libc's
            // `ld-linux-x86-64.so.2` is `/lib64/ld-linux-x86-64.so.2`, not the cache's path.
            for path in try search.platform(for: root.elf).standardInterpreters where interpreter == nil {
                try addInterpreter(path, isRequired: false)
            }
        }

        var next = 0
        while next < nodes.count {
            let current = next
            next += 1
            for name in nodes[current].file.elf.neededLibraries {
                try load(name, neededBy: current)
            }
        }
        // An interpreter no object names is still what runs a program.
        if let interpreter, !interpreter.listed, interpreter.isRequired {
            dependencies.files.append(interpreter.path)
        }
    }

    /// - Parameter isRequired: the root's own PT_INTERP, listed (or reported missing) whether or
    ///   not a library names it; otherwise only listed if a library needs it.
    private mutating func addInterpreter(_ path: String, isRequired: Bool) throws(SysrootPathError) {
        guard case .found(let file) = try search.catalog.lookUp(path), file.elf.isLoadable(by: nodes[0].file.elf)
        else {
            if isRequired { dependencies.missing.append(path) }
            return
        }
        // The root may be the interpreter itself.
        guard nodeByIdentity[file.identity] == nil else { return }
        let node = add(file, origin: PathText.directory(of: path), loader: nil)
        nodeByName[file.elf.soname ?? String(path.split(separator: "/").last ?? "")] = node
        interpreter = (node, path, isRequired, false)
    }

    private mutating func load(_ name: String, neededBy requester: Int) throws(SysrootPathError) {
        if let existing = nodeByName[name] {
            noteUse(of: existing)
            return
        }
        let result = try search.find(name, for: loadingChain(from: requester))
        for error in result.unusable where !dependencies.unusable.contains(error) {
            dependencies.unusable.append(error)
        }
        guard let file = result.file else {
            if !dependencies.missing.contains(name) { dependencies.missing.append(name) }
            return
        }
        if let existing = nodeByIdentity[file.identity] {
            nodeByName[name] = existing
            noteUse(of: existing)
            return
        }
        let node = add(file, origin: PathText.directory(of: file.path), loader: requester)
        nodeByName[name] = node
        if let soname = file.elf.soname, nodeByName[soname] == nil { nodeByName[soname] = node }
        dependencies.files.append(file.path)

        for variant in try search.hardwareCapabilityVariants(of: file, named: name)
        where nodeByIdentity[variant.identity] == nil {
            add(variant, origin: PathText.directory(of: variant.path), loader: requester)
            dependencies.files.append(variant.path)
        }
    }

    /// The interpreter is listed where the first object needs it, as ldd lists it.
    private mutating func noteUse(of node: Int) {
        guard let current = interpreter, current.node == node, !current.listed else { return }
        dependencies.files.append(current.path)
        interpreter?.listed = true
    }

    @discardableResult
    private mutating func add(_ file: LocatedFile, origin: String, loader: Int?) -> Int {
        nodes.append(Node(file: file, origin: origin, loader: loader))
        nodeByIdentity[file.identity] = nodes.count - 1
        return nodes.count - 1
    }

    private func loadingChain(from node: Int) -> [SearchingObject] {
        var chain: [SearchingObject] = []
        var current: Int? = node
        while let index = current {
            chain.append(SearchingObject(elf: nodes[index].file.elf, origin: nodes[index].origin))
            current = nodes[index].loader
        }
        return chain
    }
}
