#if canImport(Glibc)
import Glibc
#endif
import Archive
import Configuration
import Foundation
import Installer
import ShellBridge
import StagedTree
import Support

/// What dracut does after the modules: the items named on the command line, fstab, the kernel
/// command line, systemd's settings, the libraries of everything installed, --include, the build
/// parameters and the loader cache.
struct TreeFinishing {
    let context: BuildContext

    private var settings: BuildSettings { context.settings }
    private var installer: FileInstaller { context.installer }

    func run() throws {
        try Cancellation.shared.checkpoint()
        if !settings.kernelOnly {
            try installNamedItems()
            try writeSettingsFiles()
            context.credit(.engine("fstab, kernel command line and systemd settings"))
            if context.environment.resolvesLazily { try resolveLibraries() }
            installer.resolvesEagerly = true
            // As dracut: from here on every install takes its libraries, and module code that
            // still runs (squash's loader) sees so.
            try context.shell.evaluate("builtin unset DRACUT_RESOLVE_LAZY; builtin declare -gx DRACUT_RESOLVE_DEPS=1")
        }
        for include in context.configuration.includes {
            try Includes(installer: installer, logger: context.logger).include(include.source, at: include.target)
            context.credit(.engine("--include \(include.source) \(include.target)"))
        }
        let root = context.staging.imageRoot
        for directory in LibraryDirectories.loaderCacheDirectories(sysroot: settings.sysroot) {
            removeEmptyDirectories(root + directory, stoppingAt: root)
        }
        // As bytes: a parameter may name a file whose name is not UTF-8.
        try context.writeImageFile("/lib/dracut/build-parameter.txt", storedParameters + "\n")
        if !settings.kernelOnly {
            try installThreadCancellationLibrary()
            context.credit(.engine("build-parameter.txt, libgcc_s for libpthread"))
            try LoaderCacheBuilder(installer: installer, sysroot: settings.sysroot, logger: context.logger).build()
        }
        context.credit(.engine("build-parameter.txt, loader cache"))
    }

    /// The command line as dracut stores it; a kdump build adds the image it made, so that
    /// lsinitrd shows it and --rebuild makes the same one.
    private var storedParameters: String {
        let stored = context.configuration.storedParameters
        guard let plan = context.kdumpImage else { return stored }
        return stored + " --kdump-image '\(plan.image.rawValue)'"
    }

    /// -I and --install-optional, through the helper modules use.
    private func installNamedItems() throws {
        let contents = settings.contents
        if !contents.installItems.isEmpty { try context.runHelper(["inst_multiple"] + contents.installItems) }
        if !contents.optionalItems.isEmpty { try context.runHelper(["inst_multiple", "-o"] + contents.optionalItems) }
        context.credit(.engine("install_items (-I, --install-optional)"))
    }

    private func writeSettingsFiles() throws {
        let fstab = try HostDevices.fstabLines(settings.contents.mountLines)
        if !fstab.isEmpty { try appendLine(fstab.joined(separator: "\n"), to: "/etc/fstab") }
        try appendFstabFiles(to: "/etc/fstab")
        // A UEFI executable carries the command line in its .cmdline section instead.
        if let commandLine = settings.contents.kernelCommandLine, settings.uefi == nil {
            try appendLine(commandLine, to: "/etc/cmdline.d/01-default.conf")
        }
        try writeSystemdConfiguration()
    }

    /// Without a sysroot, as in dracut: the libraries of every installed executable in one pass.
    private func resolveLibraries() throws {
        // dracut's lazy pass runs dracut-install without -L: what it adds is not logged.
        let installLog = installer.installLog
        installer.installLog = nil
        defer { installer.installLog = installLog }
        context.logger.info("*** Resolving executable dependencies ***")
        try installer.resolveInstalledExecutables(includingLibraries: settings.dracut.resolvesLibraryFiles) { executable in
            // A library is credited to the module of the first program that needs it.
            let owner = context.recorder?.provenance(of: RawPath(String(executable.dropFirst())))?.module ?? "kindling"
            context.credit(Provenance(module: owner, step: "needed by \(executable)"))
        }
        context.logger.info("*** Resolving executable dependencies done ***")
    }

    /// As dracut does for libpthread users: glibc loads libgcc_s at run time for thread cancellation.
    private func installThreadCancellationLibrary() throws {
        // `builtin`: module code may have defined functions named break and continue (see the shim's header).
        try context.shell.evaluate(
            """
            for __d in ${libdirs-}; do
                for __f in "${dracutsysrootdir-}$__d"/libpthread.so*; do
                    [[ -e $__f ]] || builtin continue
                    inst_libdir_file 'libgcc_s.so*'
                    builtin break 2
                done
            done
            """, handler: context.helpers)
    }

    private func writeSystemdConfiguration() throws {
        let systemd = settings.paths.systemd
        guard !(settings.sysroot + systemd.utilities).isEmpty else { return }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: try installer.imageFilePath(systemd.utilities), isDirectory: &isDirectory),
            isDirectory.boolValue
        else { return }
        var lines = [
            ("systemdutildir", systemd.utilities), ("systemdsystemunitdir", systemd.systemUnits),
            ("systemdsystemconfdir", systemd.systemConfiguration),
        ]
        if settings.dracut.recordsNetworkConfigDirectory {
            lines.append(("systemdnetworkconfdir", systemd.networkConfiguration))
        }
        let text = lines.map { "\($0.0)=\"\($0.1)\"\n" }.joined()
        try context.writeImageFile("/etc/conf.d/systemd.conf", text)
    }

    /// --add-fstab: each file goes into the image's fstab as it is; a missing one is reported and skipped.
    private func appendFstabFiles(to imageFile: String) throws {
        for file in settings.contents.fstabFiles {
            guard let contents = FileManager.default.contents(atPath: file) else {
                context.logger.error("cannot read the --add-fstab file \(file)")
                continue
            }
            try installer.installDirectory((imageFile as NSString).deletingLastPathComponent)
            let path = try installer.imageFilePath(imageFile)
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw BuildFailure("cannot append to \(path): \(systemErrorDescription())") }
            defer { close(fd) }
            guard writeAll(fd: fd, Array(contents)) else {
                throw BuildFailure("cannot append to \(path): \(systemErrorDescription())")
            }
        }
    }

    private func appendLine(_ line: String, to imageFile: String) throws {
        try installer.installDirectory((imageFile as NSString).deletingLastPathComponent)
        let existing = (try? String(contentsOfFile: try installer.imageFilePath(imageFile), encoding: .utf8)) ?? ""
        try context.writeImageFile(imageFile, existing + line + "\n")
    }

    /// `rmdir -p --ignore-fail-on-non-empty`: removes the directory and its empty parents.
    private func removeEmptyDirectories(_ path: String, stoppingAt root: String) {
        var current = path
        while current.count > root.count, rmdir(current) == 0 {
            current = (current as NSString).deletingLastPathComponent
        }
    }
}
