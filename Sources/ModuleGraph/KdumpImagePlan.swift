/// Which kdump capture image a build makes, and so which module tree it takes.
///
/// A kdump build is one that asks for `kdumpbase`. Kindling's own modules make the minimal image;
/// a distribution's kdumpbase (Fedora's 99kdumpbase, found on the module path outside Kindling's
/// tree) makes the distribution's image from the module path as configured.
public struct KdumpImagePlan: Equatable, Sendable {
    public enum Image: String, Equatable, Sendable {
        case minimal
        /// The module path as dracut would take it: a distribution's kdumpbase where there is one.
        case distribution = "distro"
    }

    public var image: Image
    /// The one log line that says which image is built and why.
    public var summary: String
    /// Where the build's modules come from.
    public var searchPath: [String]
    /// The request, less what the minimal image leaves out.
    public var request: ModuleRequest
    /// A line for each requested module the minimal image leaves out, saying why.
    public var leftOut: [String]
    /// The minimal image was asked for and cannot serve the target: worth a warning.
    public var isFallback = false
}

/// What Kindling's own kdumpbase says of the kdump configuration (`kdump_minimal_target`).
public enum MinimalTargetAnswer: Equatable, Sendable {
    /// The minimal image serves this target (e.g. "ext4 UUID=...").
    case serves(String)
    /// It does not, and why, naming the directive (e.g. "kdump.conf:1: 'nfs': ...").
    case cannotServe(String)
}

/// Chooses the kdump image from `kdump_image` (minimal unless the user asks for the distribution's),
/// the module path and what Kindling's kdumpbase says of the configured dump target.
public struct KdumpImagePlanner {
    public let searchPath: [String]
    /// Kindling's own modules.d.
    public let ownModules: String
    public let prefersMinimal: Bool

    public init(searchPath: [String], ownModules: String, prefersMinimal: Bool) {
        self.searchPath = searchPath
        self.ownModules = ownModules
        self.prefersMinimal = prefersMinimal
    }

    /// nil when the build is not a kdump build. `askMinimal` is only called for kdump_image=minimal.
    public func plan(
        for request: ModuleRequest, askMinimal: (Module) throws -> MinimalTargetAnswer
    ) throws -> KdumpImagePlan? {
        let requested = request.modules + request.add + request.forceAdd
        guard requested.contains(Self.kdumpbase), !request.omit.contains(Self.kdumpbase) else { return nil }
        let own = ModuleCatalog(searchPath: [ownModules])
        let distribution = ModuleCatalog(searchPath: searchPath.filter { $0 != ownModules })[Self.kdumpbase]
        let asConfigured = KdumpImagePlan(
            image: .distribution, summary: "", searchPath: searchPath, request: request, leftOut: [])

        guard prefersMinimal, let ownKdumpbase = own[Self.kdumpbase] else {
            var plan = asConfigured
            plan.summary =
                distribution.map { "kdump: distribution image (kdump_image=distro): \($0.directory)" }
                ?? "kdump: kdump_image=distro, and no distribution kdumpbase on the module path: Kindling's own"
            return plan
        }
        switch try askMinimal(ownKdumpbase) {
        case .serves(let target):
            let available = Set(own.modules.map(\.name))
            let missing = Self.unique(requested.filter { !available.contains($0) && !request.omit.contains($0) })
            var trimmed = request
            trimmed.modules.removeAll(where: missing.contains)
            trimmed.add.removeAll(where: missing.contains)
            trimmed.forceAdd.removeAll(where: missing.contains)
            return KdumpImagePlan(
                image: .minimal, summary: "kdump: minimal image (\(target))", searchPath: [ownModules],
                request: trimmed, leftOut: missing.map(Self.leftOutLine))
        case .cannotServe(let reason):
            guard distribution != nil else {
                throw ModuleSelectionError(
                    description: "kdump: \(reason), and there is no distribution kdumpbase to fall back to")
            }
            var plan = asConfigured
            plan.summary = "kdump: distribution image: \(reason)"
            plan.isFallback = true
            return plan
        }
    }

    static let kdumpbase = "kdumpbase"

    /// Why the minimal image goes without a module another tree has.
    static func leftOutLine(_ name: String) -> String {
        if name == "squash" || name.hasPrefix("squash-") {
            return "kdump: the minimal image leaves out '\(name)': it unpacks to a few megabytes, so a squash "
                + "loader would cost crash memory rather than save it"
        }
        return "kdump: the minimal image leaves out '\(name)': it is not one of the minimal image's modules"
    }

    private static func unique(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }
}
