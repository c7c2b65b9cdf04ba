#if canImport(Glibc)
import Glibc
#endif
import Configuration
import Foundation
import ModuleGraph
import ShellBridge
import StagedTree
import Support

/// The dracut modules: which ones the build takes (check and depends), then each one's install()
/// and installkernel() in order, as dracut runs them.
struct ModuleInstallation {
    let context: BuildContext

    func select() throws -> [Module] {
        let settings = context.settings
        let hasHostFilesystems = try context.shell.evaluate("((${#host_fs_types[@]} > 0))").status == 0
        var request = ModuleRequest(
            modules: settings.modules.modules, add: settings.modules.add, forceAdd: settings.modules.forceAdd,
            omit: settings.modules.omit, checkMounts: hasHostFilesystems)
        request.forceAddOverridesOmit = settings.dracut.flavour == .dracutNG
        var searchPath = settings.moduleSearchPath
        if let plan = try kdumpImagePlan(for: request) {
            context.kdumpImage = plan
            if plan.isFallback { context.logger.warning(plan.summary) } else { context.logger.info(plan.summary) }
            for line in plan.leftOut { context.logger.info(line) }
            request = plan.request
            searchPath = plan.searchPath
        }
        let catalog = ModuleCatalog(searchPath: searchPath)
        try declare(catalog)
        return try ModuleSelector(catalog: catalog, runner: context.runner, logger: context.logger).select(request)
    }

    /// Tells the shell where the catalog's modules are (for module_check and check_module, which
    /// dracut-ng's modules call from depends()) and which module-setup.sh files passed the syntax
    /// check: the shell checks the others alone when it sources them.
    private func declare(_ catalog: ModuleCatalog) throws {
        let directories = catalog.modules.map { "[\(shellQuote($0.name))]=\(shellQuote($0.directory))" }
        let marks = context.moduleSyntax.passedFiles(among: catalog.modules.map(\.setupScript))
            .map { "[\(shellQuote($0))]=1" }
        let marking = marks.isEmpty ? "" : "\n__kindling_syntax_checked+=(\(marks.joined(separator: " ")))"
        try context.shell.evaluate(
            "declare -gA __kindling_module_dirs=(\(directories.joined(separator: " ")))" + marking)
    }

    /// For a kdump build: the minimal image or the distribution's (kdump_image), asking Kindling's
    /// kdumpbase whether it serves the configured dump target.
    private func kdumpImagePlan(for request: ModuleRequest) throws -> KdumpImagePlan? {
        let settings = context.settings
        let planner = KdumpImagePlanner(
            searchPath: settings.moduleSearchPath, ownModules: settings.ownModules,
            prefersMinimal: settings.kdumpImage == .minimal)
        return try planner.plan(for: request) { kdumpbase in
            // Kindling's modules in one parse: the minimal image's catalog then needs none.
            try declare(ModuleCatalog(searchPath: [settings.ownModules]))
            // A broken kdump.conf fails the call: the build ends with the module's own error line.
            let answer = try context.runner.call(kdumpbase, "kdump_minimal_target", .capture, failureIsFatal: true)
            let text = answer.output.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.hasPrefix("serves ") { return .serves(String(text.dropFirst(7))) }
            if text.hasPrefix("cannot ") { return .cannotServe(String(text.dropFirst(7))) }
            throw BuildFailure("kdump: Kindling's kdumpbase said nothing of the dump target (kdump_minimal_target)")
        }
    }

    /// --print-cmdline: what each module's cmdline() prints, nothing installed.
    func commandLine(of modules: [Module]) throws -> String {
        var printed = ""
        for module in modules { printed += try context.runner.call(module, "cmdline", .capture).output }
        return printed + "\n"
    }

    func install(_ modules: [Module]) throws {
        let settings = context.settings, shell = context.shell
        var pending = modules.map(\.name)
        var loaded: [String] = []
        var installedSize = 0
        if settings.dracut.runsModuleConfig {
            // dracut-ng: every module's config() first, so it can add to the build's settings
            // (add_dlopen_features) before anything is installed.
            try shell.evaluate("mods_to_load=\(Self.spaced(pending)); modules_loaded=' '")
            for module in modules { _ = try context.runner.call(module, "config", .run) }
        }
        for (index, module) in modules.enumerated() {
            try Cancellation.shared.checkpoint()
            if settings.showsModules {
                context.progress.withLineCleared { writeStandardOutput(module.name + "\n") }
            } else {
                context.logger.info("*** Including module: \(module.name) ***")
            }
            shell.evaluateBeforeNextCommand(Self.listUpdate(index: index, modules: modules, pending: pending, loaded: loaded))
            if !settings.kernelOnly {
                _ = try context.runner.call(module, "install", .run)
            }
            if !settings.noKernel {
                _ = try context.runner.call(module, "installkernel", .run, failureIsFatal: true)
            }
            pending.removeAll { $0 == module.name }
            loaded.append(module.name)
            context.progress.moduleInstalled()
            if context.configuration.printSize {
                let size = Self.diskUsageKiB(context.staging.imageRoot)
                context.progress.withLineCleared { writeStandardOutput("\(module.name) install size: \(size - installedSize)k\n") }
                installedSize = size
            }
        }
        try shell.evaluate("mods_to_load=''; modules_loaded=\(Self.spaced(loaded))")
        // Written where the image's own paths lead: module code may have made symlinks in it.
        try context.writeImageFile("/lib/dracut/modules.txt", loaded.map { $0 + "\n" }.joined())
        context.credit(.engine("modules.txt"))
        context.logger.info("*** Including modules done ***")
    }

    /// Sets mods_to_load and modules_loaded to the lists before module `index` installs, as
    /// `spaced` spells them. The shell keeps private copies and gets only the change from the
    /// module before: resending both lists for every module made the bytes bash reads (one
    /// read per byte) grow with the square of the module count. The public variables are set
    /// from the copies each time, as before, whatever module code did to them.
    static func listUpdate(index: Int, modules: [Module], pending: [String], loaded: [String]) -> String {
        let update: String
        if index == 0 {
            update = "__kindling_pending=\(spaced(pending)); __kindling_loaded=\(spaced(loaded))"
        } else {
            // " previous next ... " loses its leading " previous"; "  " becomes " previous ".
            let previous = modules[index - 1].name
            let loadedUpdate =
                index == 1
                ? "__kindling_loaded=\(spaced(loaded))" : "__kindling_loaded+=\(shellQuote(previous + " "))"
            update = "__kindling_pending=${__kindling_pending#\(shellQuote(" " + previous))}; \(loadedUpdate)"
        }
        return update + "; mods_to_load=$__kindling_pending; modules_loaded=$__kindling_loaded"
    }

    /// dracut's spelling of a module list: padded with a space on both sides, quoted for bash.
    private static func spaced(_ names: [String]) -> String {
        shellQuote(" " + names.joined(separator: " ") + " ")
    }

    /// `du -sk`: the blocks of every file and directory, each inode counted once.
    static func diskUsageKiB(_ root: String) -> Int {
        var seen = Set<UInt64>()
        var blocks = 0
        func visit(_ path: String) {
            var status = stat()
            guard lstat(path, &status) == 0, seen.insert(UInt64(status.st_ino)).inserted else { return }
            blocks += Int(status.st_blocks)
            if status.st_mode & S_IFMT == S_IFDIR {
                for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                    visit(path + "/" + name)
                }
            }
        }
        visit(root)
        return blocks / 2
    }
}
