import Support

/// Which check() a module gets.
public enum CheckKind: Sendable {
    /// Named with -m or --force-add: check runs with hostonly unset.
    case generic
    /// With the build's own hostonly value.
    case host
    /// The second pass for the host's mounts: `check 0` with mount_needs=1.
    case mount
}

/// Runs module functions for the selector; the shell bridge is the real one.
public protocol ModuleFunctionRunner: AnyObject {
    func check(_ module: Module, kind: CheckKind) throws -> Int32
    func depends(_ module: Module) throws -> [String]
    /// Told each time a module is scheduled, with all scheduled so far in order: module code
    /// (a later check() or depends()) sees them through dracut_module_included.
    func scheduled(_ modules: [String]) throws
}

/// What the user asked for, as dracut's space-padded lists.
public struct ModuleRequest: Equatable, Sendable {
    /// -m; empty means every module that passes its check ("all").
    public var modules: [String]
    /// -a
    public var add: [String]
    /// --force-add
    public var forceAdd: [String]
    /// -o
    public var omit: [String]
    /// Run the mount pass: the host has filesystems to mount (hostonly, --mount, --add-device).
    public var checkMounts: Bool
    /// dracut-ng: a module given with --force-add is taken even when it is also omitted.
    public var forceAddOverridesOmit = false

    public init(
        modules: [String] = [], add: [String] = [], forceAdd: [String] = [], omit: [String] = [],
        checkMounts: Bool = false
    ) {
        self.modules = modules
        self.add = add
        self.forceAdd = forceAdd
        self.omit = omit
        self.checkMounts = checkMounts
    }
}

public struct ModuleSelectionError: Error, CustomStringConvertible, Equatable {
    public let description: String
}

/// dracut 059's module selection: two passes over the modules in directory order, each module
/// checked, its dependencies pulled in as if they had been asked for, and every explicitly
/// requested module accounted for at the end.
public final class ModuleSelector {
    private let catalog: ModuleCatalog
    private let runner: ModuleFunctionRunner
    private let logger: Logger

    private var explicit: [String]
    private var add: [String]
    private var forceAdd: [String]
    /// The omitted modules that count: dracut-ng lets --force-add win over -o.
    private let omit: Set<String>
    private let selectsAll: Bool
    private var selected: [String] = []
    private var checkedAsDependency: Set<String> = []
    /// The chain of modules whose dependencies are being checked, to name a cycle.
    private var chain: [String] = []
    /// Why `consider` last returned false, and why each rejected module was rejected.
    private var lastRejection = Rejection.unavailable
    private var rejections: [String: Rejection] = [:]
    /// dracut's error lines for dependencies that failed; logged when the selection succeeds,
    /// folded into the one error line when it fails.
    private var dependencyErrors: [String] = []

    public init(catalog: ModuleCatalog, runner: ModuleFunctionRunner, logger: Logger) {
        self.catalog = catalog
        self.runner = runner
        self.logger = logger
        explicit = []
        add = []
        forceAdd = []
        omit = []
        selectsAll = true
    }

    private init(copying other: ModuleSelector, request: ModuleRequest) {
        catalog = other.catalog
        runner = other.runner
        logger = other.logger
        explicit = request.modules
        add = request.add
        forceAdd = request.forceAdd
        omit = Set(request.omit).subtracting(request.forceAddOverridesOmit ? request.forceAdd : [])
        selectsAll = request.modules.isEmpty
    }

    /// Returns the selected modules in install (directory) order.
    public func select(_ request: ModuleRequest) throws -> [Module] {
        let pass = ModuleSelector(copying: self, request: request)
        return try pass.run(checkMounts: request.checkMounts)
    }

    private func run(checkMounts: Bool) throws -> [Module] {
        do {
            let modules = try runPasses(checkMounts: checkMounts)
            for line in dependencyErrors { logger.error(line) }
            return modules
        } catch {
            for line in dependencyErrors { logger.debug(line) }
            throw error
        }
    }

    private func runPasses(checkMounts: Bool) throws -> [Module] {
        for module in catalog.modules {
            _ = try consider(module.name, topLevel: true, kind: .normal)
        }
        try reportMissing()
        if checkMounts {
            for module in catalog.modules {
                _ = try consider(module.name, topLevel: true, kind: .mount)
            }
            try reportMissing()
        }
        let chosen = Set(selected)
        return catalog.modules.filter { chosen.contains($0.name) }
    }

    private enum Pass { case normal, mount }

    /// Why a module was not selected: its own reason, or a cause further down its dependencies.
    private enum Rejection {
        case omitted, notFound
        case checkFailed(Int32)
        case unavailable
        /// A cycle or a dependency's own failure: passed up unchanged, it names the modules involved.
        case cause(String)
    }

    private func consider(_ name: String, topLevel: Bool, kind: Pass) throws -> Bool {
        let accepted = try evaluate(name, topLevel: topLevel, kind: kind)
        if !accepted { rejections[name] = lastRejection }
        return accepted
    }

    private func reject(_ reason: Rejection) -> Bool {
        lastRejection = reason
        return false
    }

    private func evaluate(_ name: String, topLevel: Bool, kind: Pass) throws -> Bool {
        if selected.contains(name) { return true }
        if let start = chain.firstIndex(of: name) {
            let cycle = "cyclic module dependency: \((chain[start...] + [name]).joined(separator: " -> "))"
            dependencyErrors.append(cycle)
            return reject(.cause(cycle))
        }
        if checkedAsDependency.contains(name) { return reject(rejections[name] ?? .unavailable) }
        guard let module = catalog[name] else { return reject(.notFound) }
        if !topLevel { checkedAsDependency.insert(name) }
        if omit.contains(name) {
            logger.debug("module '\(name)' will not be installed, because it's in the list to be omitted")
            return reject(.omitted)
        }

        if explicit.contains(name) || add.contains(name) || forceAdd.contains(name) {
            let checkKind: CheckKind
            switch kind {
            case .mount: checkKind = .mount
            case .normal: checkKind = explicit.contains(name) || forceAdd.contains(name) ? .generic : .host
            }
            let status = try runner.check(module, kind: checkKind)
            guard status == 0 || status == 255 else { return reject(.checkFailed(status)) }
        } else if selectsAll {
            let status = try runner.check(module, kind: kind == .mount ? .mount : .host)
            if status != 0 {
                // 255 means "only when asked for": a dependency may take it, the top level may not.
                if kind == .mount || topLevel || status != 255 { return reject(.checkFailed(status)) }
            }
        } else {
            return reject(.unavailable)
        }

        chain.append(name)
        defer { chain.removeLast() }
        for dependency in try runner.depends(module) {
            // A dependency is treated as if it had been asked for the way its parent was.
            if explicit.contains(name), !explicit.contains(dependency) { explicit.append(dependency) }
            if add.contains(name), !add.contains(dependency) { add.append(dependency) }
            if forceAdd.contains(name), !forceAdd.contains(dependency) { forceAdd.append(dependency) }
            guard try consider(dependency, topLevel: false, kind: kind) else {
                let line = "module '\(name)' depends on '\(dependency)', which can't be installed"
                dependencyErrors.append(line)
                if case .cause = lastRejection { return false }
                return reject(.cause(Self.explain(lastRejection).map { line + ": " + $0 } ?? line))
            }
        }
        if !selected.contains(name) {
            selected.append(name)
            try runner.scheduled(selected)
        }
        return true
    }

    /// Every module named with -m, -a or --force-add must be selected; a module only in -a and
    /// also omitted is quietly skipped, as dracut does.
    private func reportMissing() throws {
        var requested = add + forceAdd
        if !selectsAll { requested += explicit }
        for name in requested where !selected.contains(name) {
            if !forceAdd.contains(name), !explicit.contains(name), omit.contains(name) { continue }
            if catalog[name] == nil {
                let suggestion = nearestName(to: name, among: catalog.modules.map(\.name)).map { "; did you mean '\($0)'?" }
                throw ModuleSelectionError(description: "module '\(name)' cannot be found" + (suggestion ?? ""))
            }
            if case .cause(let cause) = rejections[name] { throw ModuleSelectionError(description: cause) }
            let reason = rejections[name].flatMap(Self.explain).map { ": " + $0 } ?? ""
            throw ModuleSelectionError(description: "module '\(name)' cannot be installed" + reason)
        }
    }

    private static func explain(_ rejection: Rejection) -> String? {
        switch rejection {
        case .omitted: return "it is omitted"
        case .notFound: return "it cannot be found"
        case .checkFailed(let status): return "its check() returned \(status)"
        case .unavailable: return nil
        case .cause(let cause): return cause
        }
    }
}
