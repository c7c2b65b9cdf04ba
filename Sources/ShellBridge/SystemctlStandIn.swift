#if canImport(Glibc)
import Glibc
#endif
import Installer
import Support

/// `systemctl -q --root ROOT enable UNIT...` and `systemctl -q --root ROOT set-default TARGET`,
/// as systemd's install logic carries them out on a tree: dracut's systemd modules make each
/// image's unit links so, and each systemctl start costs 4–6 ms.
///
/// A unit is looked for in the host systemd's unit search path (`systemd-path
/// systemd-search-system-unit`, asked once: `HostAnswers`) under ROOT; the first directory that
/// has it gives the link's target (`/lib/systemd/system/x.service` on Debian 12, whose systemd
/// still searches /lib before /usr/lib). Taken only when that is a regular file in a directory of
/// unit files (not a mask, an alias, a generated or transient unit), the unit has no drop-in
/// directory, and its [Install] section holds nothing but plain WantedBy=, RequiredBy=, Alias=
/// and Also= names: anything else (DefaultInstance=, templates, specifiers, quoting, a continued
/// line, a link that exists and points elsewhere) makes systemctl do more, or say something, and
/// is left to it.
enum SystemctlStandIn {
    static func run(_ arguments: [String], umask callerMask: mode_t?) -> ProgramResult? {
        guard let command = Command(arguments), let searchPath = UnitSearchPath.host,
            let callerMask, callerMask == FileStandIns.engineMask
        else { return nil }
        let tree = UnitTree(root: command.root, searchPath: searchPath)
        switch command.verb {
        case "enable":
            // The units named, and those their Also= names in turn.
            var links: [(path: String, target: String)] = []
            var queue = command.units[...]
            var seen: Set<String> = []
            while let unit = queue.popFirst() {
                guard seen.insert(unit).inserted else { continue }
                guard let file = tree.unitFile(unit),
                    let install = InstallSection(file: command.root + file, unit: unit, named: command.units.contains(unit))
                else { return nil }
                for (target, suffix) in install.dependents {
                    links.append(("/etc/systemd/system/\(target).\(suffix)/\(unit)", file))
                }
                links += install.aliases.map { ("/etc/systemd/system/\($0)", file) }
                queue += install.alsoEnabled
            }
            // Every link is looked at before the first is made.
            guard links.allSatisfy({ tree.mayLink($0.path, to: $0.target) }) else { return nil }
            for link in links where !tree.link(link.path, to: link.target, replacing: false) { return nil }
            return .success
        case "set-default":
            guard command.units.count == 1, let unit = command.units.first, unit.hasSuffix(".target"),
                unit != "default.target", let file = tree.unitFile(unit),
                tree.link("/etc/systemd/system/default.target", to: file, replacing: true)
            else { return nil }
            return .success
        default:
            return nil
        }
    }

    /// `-q --root ROOT VERB UNIT...` in any order (GNU getopt), with `--quiet` and `--root=ROOT`.
    private struct Command {
        var root = ""
        var verb = ""
        var units: [String] = []

        init?(_ arguments: [String]) {
            var quiet = false
            var operands: [String] = []
            var index = 0
            while index < arguments.count {
                let argument = arguments[index]
                index += 1
                switch argument {
                case "-q", "--quiet": quiet = true
                case "--root":
                    guard index < arguments.count else { return nil }
                    root = arguments[index]
                    index += 1
                case _ where argument.hasPrefix("--root="): root = String(argument.dropFirst(7))
                case _ where argument.hasPrefix("-"): return nil
                default: operands.append(argument)
                }
            }
            // Without -q systemctl reports each link it makes. A root of / is the host's own
            // configuration, left to systemctl.
            let components = root.split(separator: "/")
            guard quiet, root.hasPrefix("/"), !components.isEmpty, !components.contains(where: { $0 == "." || $0 == ".." }),
                operands.count >= 2
            else { return nil }
            root = "/" + components.joined(separator: "/")
            verb = operands[0]
            units = Array(operands.dropFirst())
            guard units.allSatisfy(UnitName.isPlain) else { return nil }
        }
    }
}

/// Unit names without templates, escapes or paths: `name.type`.
enum UnitName {
    private static let types: Set<Substring> = [
        "service", "socket", "target", "device", "mount", "automount", "swap", "timer", "path", "slice", "scope",
    ]

    static func isPlain(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex, name.count < 256,
            types.contains(name[name.index(after: dot)...])
        else { return false }
        return name[..<dot].allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || ":_.-".contains($0)) }
    }

    static func type(of name: String) -> Substring? {
        name.lastIndex(of: ".").map { name[name.index(after: $0)...] }
    }
}

/// The host systemd's unit search path for the system manager, as systemctl searches a root.
enum UnitSearchPath {
    static let host: [String]? = {
        // systemctl would take the caller's path instead.
        guard currentEnvironment()["SYSTEMD_UNIT_PATH"] == nil,
            let answer = HostAnswers.shared.answer(.systemUnitSearchPath), answer.status == 0
        else { return nil }
        let directories = String(decoding: answer.output, as: UTF8.self).trimming("\n").split(separator: ":").map(String.init)
        return directories.allSatisfy({ $0.hasPrefix("/") }) && !directories.isEmpty ? directories : nil
    }()
}

/// A tree's unit files and links, as systemctl --root sees them.
private struct UnitTree {
    let root: String
    let searchPath: [String]

    /// Where systemd keeps unit files as packages install them: the directories a unit found
    /// first elsewhere (configuration, runtime, generated) is not taken from.
    private static let unitFileDirectories: Set<String> = [
        "/usr/local/lib/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system",
    ]

    /// The path, in the tree, of `unit`'s file: the first in the search path.
    func unitFile(_ unit: String) -> String? {
        var status = stat()
        for directory in searchPath where lstat(root + directory + "/" + unit + ".d", &status) == 0 {
            return nil  // drop-ins
        }
        for directory in searchPath where lstat(root + directory + "/" + unit, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFREG, Self.unitFileDirectories.contains(directory) else { return nil }
            return directory + "/" + unit
        }
        return nil
    }

    /// Whether `link` can be made (or is there already, pointing at `target`).
    func mayLink(_ link: String, to target: String) -> Bool {
        var status = stat()
        guard lstat(root + link, &status) == 0 else { return errno == ENOENT }
        return status.st_mode & S_IFMT == S_IFLNK && readLink(root + link) == target
    }

    /// Makes `link` (in the tree) point at `target`, with its missing parents (0755, less the
    /// umask), as systemd's create_symlink does; a link already there pointing elsewhere is
    /// replaced atomically with `replacing`, and otherwise declines.
    func link(_ link: String, to target: String, replacing: Bool) -> Bool {
        let path = root + link
        guard FileStandIns.makeParents(of: path, mode: 0o755) else { return false }
        if symlink(target, path) == 0 { return true }
        guard errno == EEXIST, let existing = readLink(path) else { return false }
        if existing == target { return true }
        return replacing && replaceWithSymlink(path, target: target) == 0
    }
}

/// A unit file's [Install] section: the units enabling links it into, WantedBy= (.wants) and
/// RequiredBy= (.requires), its Alias= names and the units Also= enables with it. Nil where
/// systemd's parser would do more than split plain lines (continuations, quoting, escapes,
/// specifiers, .include) or systemctl would do or say more (any other setting, a line it cannot
/// parse, an alias of another type, a named unit with nothing to install).
private struct InstallSection {
    private(set) var dependents: [(name: String, suffix: String)] = []
    private(set) var aliases: [String] = []
    private(set) var alsoEnabled: [String] = []

    /// `named`: the unit was named on the command line, where systemctl notes one without an
    /// [Install] section.
    init?(file: String, unit: String, named: Bool) {
        guard let bytes = regularFileBytes(atPath: file), !bytes.contains(0) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        var section = ""
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimming(" \t\r")
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            guard !line.hasSuffix("\\"), !line.hasPrefix(".include") else { return nil }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { return nil }
                section = String(line.dropFirst().dropLast())
                continue
            }
            guard section == "Install" else { continue }
            guard let equals = line.firstIndex(of: "=") else { return nil }
            let key = line[..<equals].trimming(" \t")
            let value = line[line.index(after: equals)...].trimming(" \t")
            // An empty value resets the list; quotes, escapes and specifiers need systemd's parser.
            guard !value.isEmpty, !value.contains(where: { "\"'\\%".contains($0) }) else { return nil }
            let names = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard names.allSatisfy(UnitName.isPlain) else { return nil }
            switch key {
            case "WantedBy": dependents += names.map { ($0, "wants") }
            case "RequiredBy": dependents += names.map { ($0, "requires") }
            case "Also": alsoEnabled += names
            case "Alias":
                // An alias keeps its unit's type; one that is the unit's own name is skipped.
                guard names.allSatisfy({ UnitName.type(of: $0) == UnitName.type(of: unit) }) else { return nil }
                aliases += names.filter { $0 != unit }
            default: return nil
            }
        }
        guard !named || !(dependents.isEmpty && aliases.isEmpty && alsoEnabled.isEmpty) else { return nil }
    }
}
