import Archive

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

    private static let longOptions: [(name: String, takesValue: Bool)] = [
        ("kver", true), ("file", true), ("mod", false), ("help", false), ("size", false),
        ("unpack", false), ("unpackearly", false), ("verbose", false), ("svg", true),
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

    /// A bundle like `-sv`; `-f` and `-k` take the rest of the word or the next argument.
    private mutating func parseShortOptions(_ letters: ArraySlice<UInt8>, rest: inout ArraySlice<[UInt8]>) throws {
        var letters = letters
        while let byte = letters.popFirst() {
            let letter = Character(Unicode.Scalar(byte))
            switch letter {
            case "f", "k":
                let value =
                    letters.isEmpty
                    ? try CommandLineOptions.value(for: "-\(letter)", from: &rest) : Array(letters)
                try apply(long: letter == "f" ? "file" : "kver", value: value)
                return
            case "v": try apply(long: "verbose", value: nil)
            case "s": try apply(long: "size", value: nil)
            case "h": try apply(long: "help", value: nil)
            case "m": try apply(long: "mod", value: nil)
            default: throw UsageError(description: "invalid option -- '\(letter)'")
            }
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

    /// An exact long option name, or an unambiguous prefix of one.
    private static func longOption(matching name: String) throws -> (name: String, takesValue: Bool) {
        if let exact = longOptions.first(where: { $0.name == name }) { return exact }
        let candidates = longOptions.filter { $0.name.hasPrefix(name) }
        guard !name.isEmpty, let match = candidates.first else {
            throw UsageError(description: "unrecognized option '--\(name)'")
        }
        guard candidates.count == 1 else {
            throw UsageError(description: "option '--\(name)' is ambiguous")
        }
        return match
    }

    static let usage = """
        Usage: kindling-lsinitrd [options] [IMAGE [FILE...]]
               kindling-lsinitrd [options] -k KERNEL-VERSION

        Shows what an initramfs image contains.

          -h, --help               show this help and exit
          -s, --size               list the contents sorted by size
          -m, --mod                show only the version and the dracut modules
          -f, --file FILE          print the contents of FILE (may be repeated)
          --unpack                 unpack the main archive (or only the FILEs given) into the
                                   current directory; the early archive is left out
          --unpackearly            unpack the early (microcode) archive instead
          -v, --verbose            name each file as it is unpacked
          -k, --kver VERSION       inspect the default image of kernel VERSION
          --svg MAP                draw the image (or only the FILEs given) as a treemap into
                                   the SVG file MAP: a box per top directory, directory and file

        """
}
