import Configuration
import Foundation
import Installer
import StagedTree

/// The drivers the build names itself (--drivers, --add-drivers, --force-drivers, --filesystems),
/// then depmod's index of every module in the image.
struct KernelDriverInstallation {
    let context: BuildContext

    /// Returns depmod's run when it may go on while the rest of the tree is finished (the caller
    /// finishes it), nil when the index is written already.
    /// - Parameter beforeIndex: what must be done to the modules before depmod reads them.
    func run(beforeIndex: (() throws -> Void)? = nil) throws -> ModuleIndexRun? {
        try copyStrictHostModules()
        try context.kernelModules.installDrivers(context.environment.driverOptions)
        context.credit(.engine("drivers named by --drivers, --add-drivers, --force-drivers, --filesystems"))
        context.logger.info("*** Installing kernel module dependencies ***")
        try beforeIndex?()
        let index = try context.kernelModules.startModuleIndex()
        let overlaps = index.isRunning && indexMayOverlapFinishing
        if !overlaps {
            try index.finish()
            context.credit(.engine("kernel module index (depmod)"))
        }
        // dracut's order of lines; depmod itself may still run (the caller waits for it).
        context.logger.info("*** Installing kernel module dependencies done ***")
        return overlaps ? index : nil
    }

    /// Whether depmod may run while TreeFinishing works: that adds libraries, settings files and
    /// the loader cache, never a kernel module. Not when the tree's next additions are credited
    /// (--explain would credit depmod's files to them), when -I, --install-optional or --include
    /// may put files anywhere, or when --noimageifnotneeded reads the index at once.
    var indexMayOverlapFinishing: Bool {
        let settings = context.settings
        return context.recorder == nil && settings.contents.installItems.isEmpty
            && settings.contents.optionalItems.isEmpty && context.configuration.includes.isEmpty
            && !(settings.image.skipsUnneededImage && settings.hostonly != nil)
    }

    /// --noimageifnotneeded with hostonly: no image when no kernel module, no initqueue and no
    /// command line went in, as dracut decides after depmod.
    var imageIsNotNeeded: Bool {
        guard context.settings.image.skipsUnneededImage, context.settings.hostonly != nil else { return false }
        let root = context.staging.imageRoot
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: root + "/lib/dracut/need-initqueue") { return false }
        let dependencies = root + "/lib/modules/\(context.settings.kernelVersion)/modules.dep"
        guard let attributes = try? fileManager.attributesOfItem(atPath: dependencies),
            attributes[.type] as? FileAttributeType == .typeRegular,
            (attributes[.size] as? NSNumber)?.intValue == 0
        else { return false }
        let commandLines = (try? fileManager.contentsOfDirectory(atPath: root + "/etc/cmdline.d")) ?? []
        return !commandLines.contains { $0.hasSuffix(".conf") && !$0.hasPrefix(".") }
    }

    /// Strict hostonly: the image keeps the host's module list, so it can refuse other modules at boot.
    private func copyStrictHostModules() throws {
        guard context.settings.hostonly == .strict, let list = context.environment.kernelModaliases else { return }
        let destination = context.staging.imageRoot + "/lib/dracut/hostonly-kernel-modules.txt"
        try? FileManager.default.removeItem(atPath: destination)
        do {
            try FileManager.default.copyItem(atPath: list, toPath: destination)
        } catch {
            throw BuildFailure("cannot copy \(list) to \(destination): \(error.localizedDescription)")
        }
    }
}
