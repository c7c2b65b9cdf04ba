import Archive
import Support

/// What the command line asks for. Arguments are parsed like getopt(1) does for lsinitrd:
/// options and operands may be mixed, short options may be bundled (`-sv`, `-fFILE`), long
/// options may be abbreviated and take values as `--file=F` or `--file F`, and `--` ends options.
struct CommandLineOptions {
    enum Action: Equatable {
        case list, printFiles, unpack, unpackEarly, drawMap
    }

    var image: String?
    var kernelVersion: String?
    /// Paths or cpio patterns from `-f` and from the operands after the image, without a leading `/`.
    var files: [RawPath] = []
    var sortsBySize = false
    var listsModulesOnly = false
    var unpacks = false
    var unpacksEarly = false
    var isVerbose = false
    var showsHelp = false
    /// --svg FILE: where to draw the image as a treemap.
    var mapPath: String?

    /// What to do with the image (`--help` is handled before any image is looked at).
    var action: Action {
        if unpacks { return .unpack }
        if unpacksEarly { return .unpackEarly }
        if mapPath != nil { return .drawMap }
        if !files.isEmpty { return .printFiles }
        return .list
    }

    struct UsageError: Error, CustomStringConvertible {
        let description: String
    }

    /// One option: what the parser accepts and what `--help` says of it.
    struct Option {
        let name: String
        let shortName: Character?
        /// What `--help` calls its value; nil for a flag.
        let argument: String?
        let summary: String

        /// The summary has no default, so no option can be added without its line in `--help`.
        init(_ name: String, short: Character? = nil, argument: String? = nil, summary: String) {
            (self.name, self.shortName, self.argument, self.summary) = (name, short, argument, summary)
        }

        var takesValue: Bool { argument != nil }
    }

    /// Every option, in the order `--help` lists them: the one list the parser and the help read.
    static let table: [Option] = [
        Option("help", short: "h", summary: "show this help and exit"),
        Option("size", short: "s", summary: "list the contents sorted by size"),
        Option("mod", short: "m", summary: "show only the dracut version and modules"),
        Option("file", short: "f", argument: "FILE", summary: "print the contents of FILE; may be repeated"),
        Option("unpack", summary: "unpack the main archive (or only the FILEs) into this directory"),
        Option("unpackearly", summary: "unpack the early (microcode) archive instead"),
        Option("verbose", short: "v", summary: "name each file as it is unpacked"),
        Option("kver", short: "k", argument: "KERNEL-VERSION", summary: "inspect the default image of this kernel"),
        Option("svg", argument: "MAP", summary: "draw the image (or only the FILEs) as a treemap into the SVG file MAP"),
    ]

    /// Parses raw argument bytes (not Strings, so non-UTF-8 file names survive).
    init(arguments: [[UInt8]]) throws {
        var remaining = arguments[...]
        var operands: [[UInt8]] = []
        while let argument = remaining.popFirst() {
            if argument == Array("--".utf8) {
                operands += remaining
                break
            } else if argument.starts(with: Array("--".utf8)) {
                try parseLongOption(argument.dropFirst(2), rest: &remaining)
            } else if argument.count > 1 && argument.first == UInt8(ascii: "-") {
                try parseShortOptions(argument.dropFirst(), rest: &remaining)
            } else {
                operands.append(argument)
            }
        }
        if let first = operands.first {
            image = String(decoding: first, as: UTF8.self)
            files += operands.dropFirst().map(CommandLineOptions.memberPath)
        }
    }

    /// `--name`, `--name=value` or `--name value`; `body` is the text after the dashes.
    private mutating func parseLongOption(_ body: ArraySlice<UInt8>, rest: inout ArraySlice<[UInt8]>) throws {
        let nameBytes = body.prefix { $0 != UInt8(ascii: "=") }
        let inlineValue = nameBytes.count < body.count ? Array(body.dropFirst(nameBytes.count + 1)) : nil
        let option = try CommandLineOptions.longOption(matching: String(decoding: nameBytes, as: UTF8.self))
        if option.takesValue {
            let value = try inlineValue ?? CommandLineOptions.value(for: "--" + option.name, from: &rest)
            try apply(long: option.name, value: value)
        } else if inlineValue != nil {
            throw UsageError(description: "option '--\(option.name)' doesn't allow an argument")
        } else {
            try apply(long: option.name, value: nil)
        }
    }

    /// A bundle like `-sv`; an option that takes a value (`-f`, `-k`) takes the rest of the word
    /// or the next argument.
    private mutating func parseShortOptions(_ letters: ArraySlice<UInt8>, rest: inout ArraySlice<[UInt8]>) throws {
        var letters = letters
        while let byte = letters.popFirst() {
            let letter = Character(Unicode.Scalar(byte))
            guard let option = CommandLineOptions.table.first(where: { $0.shortName == letter }) else {
                throw UsageError(description: "invalid option -- '\(letter)'")
            }
            guard option.takesValue else {
                try apply(long: option.name, value: nil)
                continue
            }
            let value = letters.isEmpty ? try CommandLineOptions.value(for: "-\(letter)", from: &rest) : Array(letters)
            try apply(long: option.name, value: value)
            return
        }
    }

    private static func value(for option: String, from rest: inout ArraySlice<[UInt8]>) throws -> [UInt8] {
        guard let value = rest.popFirst() else {
            throw UsageError(description: "option '\(option)' requires an argument")
        }
        return value
    }

    private mutating func apply(long name: String, value: [UInt8]?) throws {
        switch name {
        case "kver": kernelVersion = String(decoding: value ?? [], as: UTF8.self)
        case "file": files.append(CommandLineOptions.memberPath(value ?? []))
        case "mod": listsModulesOnly = true
        case "help": showsHelp = true
        case "size": sortsBySize = true
        case "unpack": unpacks = true
        case "unpackearly": unpacksEarly = true
        case "verbose": isVerbose = true
        case "svg":
            // The file is named through Swift strings; a name that is not UTF-8 would be another file.
            guard let path = String(validating: value ?? [], as: UTF8.self), !path.isEmpty else {
                throw UsageError(description: "option '--svg' needs a file name in UTF-8")
            }
            mapPath = path
        default: throw UsageError(description: "unrecognized option '--\(name)'")
        }
    }

    /// Archive member names have no leading slash; users often type one.
    private static func memberPath(_ argument: [UInt8]) -> RawPath {
        RawPath(bytes: Array(argument.drop { $0 == UInt8(ascii: "/") }))
    }

    /// An exact long option name, or an unambiguous prefix of one; else the nearest name, if one
    /// is close, as a suggestion.
    private static func longOption(matching name: String) throws -> Option {
        if let exact = table.first(where: { $0.name == name }) { return exact }
        let candidates = table.filter { $0.name.hasPrefix(name) }
        guard !name.isEmpty, let match = candidates.first else {
            let suggestion = nearestName(to: name, among: table.map(\.name)).map { "; did you mean '--\($0)'?" }
            throw UsageError(description: "unrecognized option '--\(name)'" + (suggestion ?? ""))
        }
        guard candidates.count == 1 else {
            throw UsageError(description: "option '--\(name)' is ambiguous")
        }
        return match
    }

    static var usage: String {
        let synopses = table.map(synopsis(of:))
        let columns = HelpColumns(synopses: synopses, widestOnTheSameLine: 40)
        return """
            Usage: kindling-lsinitrd [options] [IMAGE [FILE...]]
                   kindling-lsinitrd [options] -k KERNEL-VERSION

            Shows what an initramfs image contains.


            """ + zip(synopses, table).map { columns.line($0, $1.summary) }.joined()
    }

    /// `  -f, --file FILE`, long names lined up whether or not there is a short one.
    static func synopsis(of option: Option) -> String {
        let short = option.shortName.map { "-\($0), " } ?? "    "
        return "  \(short)--\(option.name)" + (option.argument.map { " \($0)" } ?? "")
    }
}
