import Foundation
import Support

/// Where a setting came from, for the one line that refuses it: the option that set it, else the
/// configuration file that last changed it.
public struct VariableOrigins: Sendable {
    /// The variables whose file is remembered: those a setting may refuse.
    static let watched =
        UnhonouredVariable.all.map(\.name) + CompressionLevels.compressors.map { "compress_level_\($0)" } + [
            "nvmf_nbft_mode", "realinitpath",
        ]

    /// By variable, the configuration file that last changed it.
    var files: [String: String]
    /// By variable, the option that set it after the files (`--compress-level`).
    var options: [String: String]

    init(files: [String: String], commandLine: ParsedCommandLine) {
        self.files = files
        var options: [String: String] = [:]
        for option in commandLine.options {
            for name in Self.names(set: option.spec.effect) { options[name] = option.spec.displayName }
        }
        self.options = options
    }

    public init() {
        files = [:]
        options = [:]
    }

    private static func names(set effect: OptionEffect) -> [String] {
        switch effect {
        case .scalar(let name), .set(let name, _), .appendList(let name), .replaceList(let name): [name]
        case .several(let effects): effects.flatMap(names(set:))
        default: []
        }
    }

    /// "--compress-level", "/etc/dracut.conf.d/x.conf" or "the configuration".
    public func source(of name: String) -> String {
        options[name] ?? files[name].map { PathBytes.quoted($0) } ?? "the configuration"
    }
}

/// dracut-ng's compress_level_NAME (--compress-level sets them all): the level a bare compressor
/// name runs at, in place of dracut's fixed one.
public enum CompressionLevels {
    /// The NAMEs, as dracut-ng spells them (lbzip2 and pigz take bzip2's and gzip's).
    public static let compressors = ["bzip2", "gzip", "lz4", "lzma", "lzop", "xz", "zstd"]

    /// The levels set, by compressor; a level that is not a number is refused naming its source.
    static func read(_ variables: ShellVariables, origins: VariableOrigins) throws(ConfigError) -> [String: Int] {
        var levels: [String: Int] = [:]
        for name in compressors {
            let variable = "compress_level_\(name)"
            guard let text = variables[variable], !text.isEmpty else { continue }
            // The in-process gzip and the tools all take 1 to 9 at least; zstd goes to 19 (22 with --ultra).
            guard let level = Int(text), level >= 0, level <= 22, text.allSatisfy(\.isNumber) else {
                throw ConfigError(
                    description: "invalid compression level \(PathBytes.quoted(text)) in \(variable) "
                        + "(from \(origins.source(of: variable))): give a number such as 1, 9 or 19")
            }
            levels[name] = level
        }
        return levels
    }
}

/// A variable dracut 059 or dracut-ng acts on that Kindling cannot act on yet: a configuration that
/// sets it is refused with one line naming it and its file, never built without it.
struct UnhonouredVariable: Sendable {
    var name: String
    /// Whether the value asks for something (`acpi_override=no` asks for nothing).
    var isRequest: @Sendable (String) -> Bool
    var reason: String

    static let all: [UnhonouredVariable] = [
        UnhonouredVariable(
            name: "add_dlopen_features", isRequest: { !$0.trimmingCharacters(in: .whitespaces).isEmpty },
            reason: "Kindling's installer does not read the ELF dlopen notes"),
        UnhonouredVariable(
            name: "omit_dlopen_features", isRequest: { !$0.trimmingCharacters(in: .whitespaces).isEmpty },
            reason: "Kindling's installer does not read the ELF dlopen notes"),
    ]

    /// The first variable asked for, as one line naming it and its file.
    static func refusal(in variables: ShellVariables, origins: VariableOrigins) -> ConfigError? {
        for variable in all {
            guard let value = variables[variable.name], variable.isRequest(value) else { continue }
            return ConfigError(
                description: "\(variable.name) is set in \(origins.source(of: variable.name)): \(variable.reason)")
        }
        return nil
    }
}
