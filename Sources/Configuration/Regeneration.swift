import Foundation

/// --regenerate-all: every installed kernel's image rebuilt at its default path, each by its own
/// kindling run with the rest of the command line, as dracut re-runs itself.
public struct Regeneration: Equatable, Sendable {
    /// --parallel (or parallel=yes in a config file): the rebuilds run side by side.
    public var parallel: Bool
    /// --sysroot: whose installed kernels are rebuilt.
    public var sysroot: String
    /// The command line without --regenerate-all and --parallel.
    public var commonArguments: [String]

    public init(parallel: Bool, sysroot: String = "", commonArguments: [String]) {
        self.parallel = parallel
        self.sysroot = sysroot
        self.commonArguments = commonArguments
    }

    public func arguments(forKernel kernel: String) -> [String] {
        ["--kver=\(kernel)"] + commonArguments
    }

    /// Drops the tokens that hold only --regenerate-all or --parallel; a -p inside a cluster stays,
    /// harmless without --regenerate-all.
    static func commonArguments(_ arguments: [String], parsed: ParsedCommandLine) -> [String] {
        var byToken: [Int: [String]] = [:]
        for option in parsed.options { byToken[option.argumentIndex, default: []].append(option.spec.longNames[0]) }
        return arguments.indices.filter { index in
            guard let names = byToken[index] else { return true }
            return !names.allSatisfy { ["regenerate-all", "parallel"].contains($0) }
        }.map { arguments[$0] }
    }

    /// The kernel versions under SYSROOT/lib/modules that have a module index, as dracut picks them.
    public static func kernels(sysroot: String) throws -> [String] {
        let directory = sysroot + "/lib/modules"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw ConfigError(description: "--regenerate-all: cannot read \(directory)")
        }
        return names.filter { name in
            ["modules.dep", "modules.dep.bin"].contains { FileManager.default.fileExists(atPath: "\(directory)/\(name)/\($0)") }
        }.sorted(by: ConfigurationLoader.versionOrder)
    }
}
