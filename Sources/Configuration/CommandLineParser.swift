import Support
/// One option as given on the command line.
public struct ParsedOption: Sendable {
    public var spec: OptionSpec
    public var value: String?
    /// The option as getopt normalises it: `-m`, or the full `--long` name.
    public var spelling: String
    /// Which command-line argument the option came from.
    public var argumentIndex = 0
}

/// The command line split the way dracut's getopt call splits it.
public struct ParsedCommandLine: Sendable {
    public var options: [ParsedOption] = []
    public var positionals: [String] = []
    /// -i/--include SRC DST pairs, in order.
    public var includes: [(source: String, target: String)] = []

    /// What dracut stores in build-parameter.txt: each option as normalised, values single-quoted.
    public var storedParameters: String { storedParameters(dracutNG: false) }

    /// The options dracut-ng handles before it starts to store them: it keeps none of these.
    static let unstoredByDracutNG: Set<String> = [
        "help", "version", "tmpdir", "stdlog", "rebuild", "force", "debug", "logfile", "verbose", "quiet",
        "regenerate-all", "parallel", "printsize", "printconfig",
    ]

    /// dracut-ng stores fewer options than 059 and joins them without 059's leading space.
    public func storedParameters(dracutNG: Bool) -> String {
        var stored = ""
        for option in options where option.spec.isStored && option.spec.longNames != ["include"] {
            if dracutNG && !option.spec.longNames.allSatisfy({ !Self.unstoredByDracutNG.contains($0) }) { continue }
            stored += " " + option.spelling
            if let value = option.value { stored += " '\(value)'" }
        }
        for include in includes { stored += " --include '\(include.source)' '\(include.target)'" }
        return dracutNG && stored.hasPrefix(" ") ? String(stored.dropFirst()) : stored
    }

    public func values(of longName: String) -> [String] {
        options.filter { $0.spec.longNames.contains(longName) }.compactMap(\.value)
    }

    public func contains(_ longName: String) -> Bool {
        options.contains { $0.spec.longNames.contains(longName) }
    }
}

public struct CommandLineError: Error, CustomStringConvertible, Equatable {
    public let description: String
}

/// GNU getopt semantics, as dracut uses them: short clusters (`-fv`, `-mbase`), `--long=value` and
/// `--long value`, unambiguous abbreviations of long names, options and operands in any order,
/// `--` to end options, and -i/--include taking two values.
public struct CommandLineParser {
    public let table: [OptionSpec]

    public init(table: [OptionSpec] = OptionTable.all) { self.table = table }

    public func parse(_ arguments: [String]) throws -> ParsedCommandLine {
        var result = ParsedCommandLine()
        var index = 0
        func nextValue(for name: String) throws -> String {
            index += 1
            guard index < arguments.count else {
                throw CommandLineError(description: "option '\(name)' requires an argument")
            }
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                result.positionals += arguments[(index + 1)...]
                break
            }
            if argument == "-i" || argument == "--include" {
                let source = try nextValue(for: argument)
                let target = try nextValue(for: argument)
                result.includes.append((source, target))
            } else if argument.hasPrefix("--") {
                let body = argument.dropFirst(2)
                let name = String(body.prefix { $0 != "=" })
                let attached = body.contains("=") ? String(body.drop { $0 != "=" }.dropFirst()) : nil
                let spec = try longOption(name, argument: argument)
                var value: String?
                if spec.takesValue {
                    value = try attached ?? nextValue(for: "--\(name)")
                } else if attached != nil {
                    throw CommandLineError(description: "option '--\(spec.longNames[0])' doesn't allow an argument")
                }
                result.options.append(
                    ParsedOption(
                        spec: spec, value: value, spelling: "--\(name == spec.longNames[0] ? name : longSpelling(spec, name))",
                        argumentIndex: index))
            } else if argument.hasPrefix("-") && argument.count > 1 {
                var rest = Substring(argument.dropFirst())
                while let letter = rest.first {
                    rest = rest.dropFirst()
                    guard let spec = table.first(where: { $0.shortName == letter }) else {
                        throw CommandLineError(description: "invalid option -- '\(letter)'")
                    }
                    var value: String?
                    let argumentIndex = index
                    if spec.takesValue {
                        value = rest.isEmpty ? try nextValue(for: "-\(letter)") : String(rest)
                        rest = ""
                    }
                    result.options.append(
                        ParsedOption(
                            spec: spec, value: value, spelling: "-\(letter)",
                            argumentIndex: argumentIndex))
                }
            } else {
                result.positionals.append(argument)
            }
            index += 1
        }
        return result
    }

    /// The long name as written when it is an alias (`--host-only`), the canonical one when abbreviated.
    private func longSpelling(_ spec: OptionSpec, _ written: String) -> String {
        spec.longNames.contains(written) ? written : spec.longNames[0]
    }

    private func longOption(_ name: String, argument: String) throws -> OptionSpec {
        if let exact = table.first(where: { $0.longNames.contains(name) }) { return exact }
        let candidates = table.filter { spec in spec.longNames.contains { $0.hasPrefix(name) } }
        guard !name.isEmpty, let first = candidates.first else {
            let suggestion = nearestName(to: name, among: table.flatMap(\.longNames)).map { "; did you mean '--\($0)'?" }
            throw CommandLineError(description: "unrecognized option \(PathBytes.quoted(argument))" + (suggestion ?? ""))
        }
        guard candidates.count == 1 else {
            let names = candidates.map { "'--\($0.longNames[0])'" }.joined(separator: " ")
            throw CommandLineError(description: "option '\(argument)' is ambiguous; possibilities: \(names)")
        }
        return first
    }
}
