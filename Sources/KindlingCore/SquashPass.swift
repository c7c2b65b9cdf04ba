#if canImport(Glibc)
import Glibc
#endif
import Archive
import Configuration
import Foundation
import ModuleGraph
import StagedTree
import Support

/// Why the squash pass could not make the squashfs image, in one line.
enum SquashError: Error, CustomStringConvertible, Equatable {
    /// The build includes the squash module, but mksquashfs is not on the PATH.
    case toolMissing
    /// mksquashfs ended with a non-zero status; the message is the first line it wrote.
    case toolFailed(status: Int32, message: String)
    /// The packed tree could not be removed from the staged tree.
    case removal(path: String, reason: String)
    /// dracut-ng's squash-lib post-install pass failed (its handler's mksquashfs or mkfs.erofs,
    /// which log why with dfatal).
    case postInstallFailed(status: Int32)

    var description: String {
        switch self {
        case .toolMissing:
            return "the squash module packs the image with mksquashfs, which is not installed (squashfs-tools)"
        case .toolFailed(let status, let message):
            let detail = message.isEmpty ? "" : ": \(message)"
            return "mksquashfs failed making the squash image (exit status \(status))\(detail)"
        case .removal(let path, let reason):
            return "cannot remove \(PathBytes.quoted(path)) once squashed: \(reason)"
        case .postInstallFailed(let status):
            return "squash-lib's post-install pass failed (exit status \(status)): the squash image was not made"
        }
    }
}

/// dracut 059's squash pass, for a build that includes its `squash` module: once the tree is
/// finished, the module's install() runs again with DRACUT_SQUASH_POST_INST=1, moving the tree
/// into squash/root and installing a small loader in its place; after stripping, mksquashfs packs
/// squash/root into squash-root.img, which the loader mounts at boot, and the archive goes
/// uncompressed (the squashfs image is compressed already).
///
/// dracut-ng splits the module (squash-lib, squash-squashfs, squash-erofs): see `SquashLibPass`.
struct SquashPass {
    let context: BuildContext
    /// The squash module the build selected, whose install() installs the loader.
    let module: Module
    /// mksquashfs, found on the host's PATH as the build's other tools are.
    let mksquashfs: String

    /// The packed tree and the image, as dracut names them for module code ($squash_dir, $squash_img).
    static let directory = "/squash/root"
    static let image = "/squash-root.img"

    /// Nil when the build does not include dracut 059's squash module (a module of another name,
    /// squash-lib for one, is not it).
    /// - Throws: `SquashError.toolMissing` before any work when mksquashfs is not installed.
    init?(context: BuildContext, selected: [Module]) throws(SquashError) {
        guard context.settings.dracut.flavour == .dracut059, let module = selected.first(where: { $0.name == "squash" })
        else { return nil }
        // The host's PATH as the build is given it (KindlingCommand gives every build one).
        let searchPath = context.environment.probes.variable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        guard let mksquashfs = findExecutable("mksquashfs", searchPath: searchPath) else { throw .toolMissing }
        self.context = context
        self.module = module
        self.mksquashfs = mksquashfs
    }

    private var imageRoot: String { context.staging.imageRoot }

    /// The loader: the module's install() with DRACUT_SQUASH_POST_INST=1, which moves the finished
    /// tree into $squash_dir and installs the loader around it.
    func installLoader() throws {
        let shell = context.shell
        try shell.evaluate(
            "builtin declare -gr squash_dir=\(shellQuote(imageRoot + Self.directory)) "
                + "squash_img=\(shellQuote(imageRoot + Self.image))")
        // dracut hardlinks the tree on disk before the loader, so the links go into the squashfs
        // image and the loader's own files stay apart; the archive then links nothing more.
        if context.settings.image.hardlink { try TreeHardlinker(root: imageRoot).linkIdenticalFiles() }
        try context.installer.installDirectory(Self.directory)
        context.logger.info("*** Install squash loader ***")
        // The tree is about to move: what the installers remember of it will not hold.
        context.helpers.forgetInstalledFiles()
        context.kernelModules.forgetInstalledModules()
        // As `DRACUT_SQUASH_POST_INST=1 module_install squash`: set, exported, for this call only.
        try shell.evaluate("builtin declare -gx DRACUT_SQUASH_POST_INST=1")
        // dracut does not look at the status of this install() either.
        _ = try context.runner.call(module, "install", .run)
        try shell.evaluate("builtin unset DRACUT_SQUASH_POST_INST")
        context.credit(.engine("squash loader"))
    }

    /// $squash_dir into $squash_img with dracut's mksquashfs options, then $squash_dir removed.
    func squashTree() throws {
        try Cancellation.shared.checkpoint()
        context.logger.info("*** Squashing the files inside the initramfs ***")
        let directory = try context.installer.imagePath(Self.directory)
        let image = try context.installer.imagePath(Self.image)
        // dracut's options: no extended attributes and no NFS export table (the loader needs
        // neither), a new image rather than an append (so no recovery file), file tails packed.
        let options = ["-no-xattrs", "-no-exports", "-noappend", "-no-recovery", "-always-use-fragments", "-no-progress"]
        let output: CommandOutput
        do {
            output = try runCommand(mksquashfs, [directory, image] + options + compressorArguments())
        } catch {
            throw SquashError.toolFailed(status: 127, message: "\(error)")
        }
        let messages = output.errorText.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        guard output.status == 0 else {
            throw SquashError.toolFailed(status: output.status, message: messages.first ?? "")
        }
        for line in messages { context.logger.warning("mksquashfs: \(line)") }
        do {
            try FileManager.default.removeItem(atPath: directory)
        } catch {
            throw SquashError.removal(path: directory, reason: error.localizedDescription)
        }
        context.credit(.engine("mksquashfs \(Self.directory) into \(Self.image)"))
        context.logger.info("*** Squashing the files inside the initramfs done ***")
    }

    /// `-comp` and the compressor's words, when mksquashfs takes them: asked first, as dracut
    /// does, by packing /dev/null with them; a compressor it lacks leaves its default one.
    private func compressorArguments() -> [String] {
        guard let compressor = context.settings.image.squashCompressor else { return [] }
        let probe = context.staging.path + "/.squash-test.img"
        defer { unlink(probe) }
        let accepted =
            (try? runCommand(mksquashfs, ["/dev/null", probe, "-no-progress"] + compressor.arguments))?.status == 0
        guard accepted else {
            context.logger.warning(
                "mksquashfs doesn't support compressor '\(compressor.setting)', failing back to default compressor.")
            return []
        }
        return compressor.arguments
    }
}

/// dracut-ng's squash (106 and 112): squash-lib and its handler (squash-squashfs or squash-erofs)
/// install the loader into a second tree, `$squashdir` ($initdir/squash_root), with `dstdir` set
/// on their helper calls. Once the tree is finished and stripped, dracut runs
/// `DRACUT_SQUASH_POST_INST=1 module_install squash-lib`: the handler packs $initdir (without
/// $squashdir) into squashfs-root.img or erofs-root.img inside $squashdir, squash-lib empties
/// $initdir and moves $squashdir's files into it; then $squashdir goes. The archive around the
/// loader is written uncompressed (the squash image is compressed already), and hardlinked, as
/// dracut-ng does after this pass.
///
/// dracut-ng keeps extended attributes in the tree when squash-lib is included (DRACUT_NO_XATTR
/// stays unset, so its DRACUT_CP preserves them): mksquashfs (-no-xattrs) and mkfs.erofs (-x -1)
/// leave them out, and a cpio archive has none, so the images do not depend on it.
struct SquashLibPass {
    let context: BuildContext
    /// squash-lib, whose install() runs again for the pass.
    let module: Module

    /// $squashdir, inside the image tree, as dracut-ng names it.
    static let directory = "/squash_root"

    /// Nil when the build does not include dracut-ng's squash-lib.
    init?(context: BuildContext, selected: [Module]) {
        guard context.settings.dracut.flavour == .dracutNG, let module = selected.first(where: { $0.name == "squash-lib" })
        else { return nil }
        self.context = context
        self.module = module
    }

    /// `mkdir -p "$squashdir"`, before any module installs (dracut does it right after the base layout).
    func createDirectory() throws {
        try context.installer.installDirectory(Self.directory)
    }

    /// The post-install pass, as dracut-ng runs it after stripping: squash-lib's install() with
    /// DRACUT_SQUASH_POST_INST=1, then `rm -rf "$squashdir"`.
    func run() throws {
        try Cancellation.shared.checkpoint()
        context.logger.info("*** Squashing the files inside the initramfs ***")
        // `DRACUT_SQUASH_POST_INST=1 module_install squash-lib || exit 1`, as a module call: a
        // handler's `dfatal "why"; exit 1` ends the build with that one line.
        try context.shell.evaluate("builtin declare -gx DRACUT_SQUASH_POST_INST=1")
        let result = try context.runner.call(module, "install", .run)
        try context.shell.evaluate("builtin unset DRACUT_SQUASH_POST_INST")
        guard result.status == 0 else { throw SquashError.postInstallFailed(status: result.status) }
        // The tree was emptied and refilled behind the installers' backs.
        context.helpers.forgetInstalledFiles()
        context.kernelModules.forgetInstalledModules()
        let directory = try context.installer.imagePath(Self.directory)
        do {
            if FileManager.default.fileExists(atPath: directory) { try FileManager.default.removeItem(atPath: directory) }
        } catch {
            throw SquashError.removal(path: directory, reason: error.localizedDescription)
        }
        context.credit(.engine("squash-lib post-install pass"))
        context.logger.info("*** Squashing the files inside the initramfs done ***")
    }
}
