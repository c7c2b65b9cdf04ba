import Support

/// What the command asks for besides building an image.
public enum RequestedAction: Equatable, Sendable {
    case build
    case help
    case version
    case listModules
    case printCommandLine
    /// dracut-ng's --printconfig: the settings as `dracutconfig: NAME=VALUE` lines.
    case printConfiguration
    case regenerateAll(Regeneration)
}

/// Everything a build needs to know, read from the command line, the environment and the config
/// files in dracut's order and precedence.
public struct BuildConfiguration: Sendable {
    public var action: RequestedAction = .build
    /// The settings, typed; nil for --help, --version and --regenerate-all, which build nothing.
    public var settings: BuildSettings?
    public var includes: [(source: String, target: String)] = []
    public var storedParameters = ""
    public var verboseListing = false
    public var keepTemporaryDirectory = false
    /// --printsize: each module's growth of the image tree.
    public var printSize = false
    /// --explain FILE: where to write which step put each path into the image.
    public var explainPath: String?
    /// --explain-svg FILE (or an --explain FILE ending in .svg): where to draw the same record as a
    /// treemap of the image.
    public var explainSVGPath: String?
    public var configFiles: [String] = []

    public init() {}

    /// Whether the build records which step put each path into the image.
    public var explains: Bool { explainPath != nil || explainSVGPath != nil }
}
