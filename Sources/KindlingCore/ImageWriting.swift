import Archive
import Configuration
import Foundation
import StagedTree
import Support

/// The image's module index while depmod still writes it.
struct IndexStillWriting {
    /// depmod's files, in the module directory's real place in the tree (/lib may lead to /usr/lib).
    let files: DeferredFiles
    /// Waits for depmod; throws when it failed.
    let finish: () throws -> Void
}

/// A file of the module index turned out to belong in a hardlink group with a file archived
/// before it: the same inode, or identical files that hardlink links.
private struct IndexJoinsEarlierFiles: Error {}

/// The staged tree as the image file: early microcode first, uncompressed, then the main archive
/// through the compressor, into a file that replaces the old image only once it is whole.
struct ImageWriting {
    let context: BuildContext
    let compressor: Compressor
    /// The shim, whose time a --reproducible image's files may not pass.
    let shim: String
    /// Identical files become one hardlink group (do_hardlink); false when the tree was linked
    /// on disk already, as the squash pass does.
    var linksIdenticalFiles: Bool
    /// Where the archive goes: the output, or for a UEFI executable a file in the staging directory.
    var destination: String
    /// Whether the archive is synced before it replaces the old one (`ImageSync`).
    var syncsDestination: Bool
    /// --enhanced-cpio with dracut-cpio present: the tool writes both archives.
    var enhancedCpio: DracutCpioArchive? = nil
    /// Large files' blocks, compressed while the tree was staged.
    var advance: AdvanceDeflation? = nil
    /// Whether the staged files may go as soon as the archive holds them: nothing reads the tree
    /// after this archive (`WrittenFileRemoval`).
    var removesWrittenFiles = false
    /// depmod, still writing the module index: the archive starts without its files, and takes
    /// them when it comes to them.
    var indexStillWriting: IndexStillWriting? = nil

    func run() throws {
        let output = context.settings.outputPath
        // The tree is whole: what is not compressed ahead yet, the writer's threads compress.
        advance?.stopPreparing()
        let earlyRoot = try stageEarlyMicrocode()
        try Cancellation.shared.checkpoint()
        context.logger.info("*** Creating image file '\(output)' ***")
        do {
            try writeArchive(earlyRoot: earlyRoot, indexStillWriting: indexStillWriting)
        } catch is IndexJoinsEarlierFiles {
            // Only when module code links a file of its own into the index's place, or one happens
            // to be identical to an index file: the bytes are then those of a build that waited.
            context.logger.debug("a file of the module index belongs with a file archived before it: writing the image again")
            try writeArchive(earlyRoot: earlyRoot, indexStillWriting: nil)
        }
        if destination == output { context.logger.info("*** Creating initramfs image file '\(output)' done ***") }
    }

    /// Scans the tree and writes the archive into a new file that replaces `destination`.
    private func writeArchive(earlyRoot: String?, indexStillWriting: IndexStillWriting?) throws {
        let output = context.settings.outputPath
        let reproducibleTime = context.environment.reproducibleTime(shim: shim)
        let scanner = TreeScanner(root: context.staging.imageRoot, deferring: indexStillWriting?.files)
        var entries = try scanner.entries()
        if linksIdenticalFiles { try ArchivePolish.linkIdenticalFiles(&entries) }
        // As hardlink saw them, before the times are clamped: what the index's files are linked against.
        let linked = entries
        if let recorder = context.recorder {
            // One record for both files, so the map's bytes are the report's.
            let report = ProvenanceReport(
                entries: entries, recorder: recorder, imageName: output,
                notes: context.kdumpImage.map { [$0.summary] + $0.leftOut } ?? [])
            if let path = context.configuration.explainPath {
                try writeExplanation(report.render(), to: path, as: .report)
                context.logger.info("*** Wrote where each file came from to '\(path)' ***")
            }
            if let path = context.configuration.explainSVGPath {
                try writeExplanation(report.imageMap().svg(), to: path, as: .map)
                context.logger.info("*** Drew the image's files by module to '\(path)' ***")
            }
        }
        if let limit = reproducibleTime { ArchivePolish.clampTimes(&entries, to: limit) }
        let file = try AtomicFile(replacing: destination)
        if let enhancedCpio {
            try writeWithDracutCpio(enhancedCpio, entries: entries, earlyRoot: earlyRoot, into: file)
            try Cancellation.shared.checkpoint()
            try file.commit(syncing: syncsDestination)
            return
        }
        let fileSink = FileSink(fileDescriptor: file.fileDescriptor, name: file.temporaryPath)
        if let earlyRoot {
            var early = try TreeScanner(root: earlyRoot).entries()
            if let limit = reproducibleTime { ArchivePolish.clampTimes(&early, to: limit) }
            try CpioWriter(sink: fileSink).writeArchive(early)
        }
        var archiveSink = try compressor.sink(writingTo: fileSink, advance: advance)
        if startsWritebackEarly {
            archiveSink = WritebackSink(forwardingTo: archiveSink, fileDescriptor: file.fileDescriptor)
        }
        let sink = CancellingSink(archiveSink, progress: context.progress)
        let removal = removesWrittenFiles ? WrittenFileRemoval(imageRoot: context.staging.imageRoot) : nil
        defer { removal?.finish() }
        var late: LateEntries?
        if let indexStillWriting {
            // depmod reads the modules until it is done; the image may yet be written again.
            removal?.hold()
            late = LateEntries(firstPath: indexStillWriting.files.firstPath) {
                try indexStillWriting.finish()
                var index = try scanner.deferredEntries()
                guard ArchivePolish.joinLateEntries(&index, to: linked, linksIdenticalFiles: linksIdenticalFiles) else {
                    throw IndexJoinsEarlierFiles()
                }
                if let limit = reproducibleTime { ArchivePolish.clampTimes(&index, to: limit) }
                removal?.release()
                return index
            }
        }
        _ = try CpioWriter(sink: sink).writeArchive(entries, late: late, afterEach: removal?.writerIsDone(with:))
        try sink.finish()
        // While the image is committed (a rename over an old one waits for its writes).
        removal?.removeDirectories(of: entries)
        if let (found, missed) = advance?.lookups, found + missed > 0 {
            context.logger.debug("gzip: \(found) of \(found + missed) blocks of large files were compressed ahead")
        }
        try Cancellation.shared.checkpoint()
        try file.commit(syncing: syncsDestination)
    }

    /// Whether the new image is written to disk before the build ends: synced, or renamed over
    /// an old one, which ext4 writes out first (`WritebackSink`).
    private var startsWritebackEarly: Bool {
        var status = stat()
        return syncsDestination || (stat(destination, &status) == 0 && status.st_mode & S_IFMT == S_IFREG)
    }

    /// dracut's create_cpio_with_dracut_cpio: the early archive first, then the main one, written
    /// into the file as is, or for a compressor into a staging file that is compressed after it.
    private func writeWithDracutCpio(
        _ tool: DracutCpioArchive, entries: [ArchiveEntry], earlyRoot: String?, into file: AtomicFile
    ) throws {
        if let earlyRoot {
            let early = try TreeScanner(root: earlyRoot).entries()
            try tool.write(root: earlyRoot, entries: early, to: file.temporaryPath, truncating: true)
        }
        if compressor.method == .none {
            try tool.write(root: context.staging.imageRoot, entries: entries, to: file.temporaryPath)
            return
        }
        let uncompressed = context.staging.path + "/initramfs.img.uncompressed"
        try tool.write(root: context.staging.imageRoot, entries: entries, to: uncompressed, truncating: true)
        // The tool wrote the early archive through its own descriptor: the compressed one follows it.
        lseek(file.fileDescriptor, 0, SEEK_END)
        let fileSink = FileSink(fileDescriptor: file.fileDescriptor, name: file.temporaryPath)
        let sink = CancellingSink(try compressor.sink(writingTo: fileSink), progress: context.progress)
        let input = open(uncompressed, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw BuildFailure("cannot read \(uncompressed): \(systemErrorDescription())") }
        defer { close(input) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            guard count >= 0 else { throw BuildFailure("cannot read \(uncompressed): \(systemErrorDescription())") }
            if count == 0 { break }
            try buffer.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
        try sink.finish()
        unlink(uncompressed)
    }

    /// The processor's microcode, and acpi_override's ACPI tables, in their own uncompressed
    /// archive, which the kernel reads first.
    private func stageEarlyMicrocode() throws -> String? {
        let settings = context.settings
        let directory = context.staging.path + "/early"
        var staged = false
        if settings.image.earlyMicrocode {
            let host =
                settings.hostonly != nil
                ? context.environment.probes.processorInformation().flatMap(HostProcessor.init(cpuinfo:)) : nil
            if settings.hostonly == nil || host != nil {
                let images = settings.image.microcodeImageNames
                let microcode = EarlyMicrocode(
                    firmwareDirectories: settings.paths.firmwareDirectories, hostProcessor: host,
                    imageDirectories: settings.image.microcodeImageDirectories,
                    imageNames: images.isEmpty ? EarlyMicrocode.defaultImageNames : images)
                if try microcode.stage(in: directory) {
                    context.logger.info("*** Generating early-microcode cpio image ***")
                    staged = true
                }
            }
        }
        if let tables = settings.image.acpiTableDirectory {
            // As dracut: a kernel without table upgrades gets none (no kernel: no check).
            if !settings.noKernel
                && !ACPITables.kernelSupportsOverride(sysroot: settings.sysroot, kernelVersion: settings.kernelVersion)
            {
                context.logger.warning(
                    "Disabling ACPI override, because kernel does not support it. "
                        + "CONFIG_ACPI_INITRD_TABLE_OVERRIDE!=y or CONFIG_ACPI_TABLE_UPGRADE!=y")
            } else if try ACPITables(tableDirectory: tables).stage(in: directory, logger: context.logger) {
                staged = true
            }
        }
        return staged ? directory : nil
    }

    private func writeExplanation(_ bytes: [UInt8], to path: String, as output: ExplainOutput) throws {
        let file = try AtomicFile(replacing: path, permissions: 0o644)
        guard writeAll(fd: file.fileDescriptor, bytes) else {
            throw BuildFailure("cannot write the \(output.description) \(path): \(systemErrorDescription())")
        }
        try file.commit()
    }
}
