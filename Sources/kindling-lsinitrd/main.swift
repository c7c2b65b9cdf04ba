// kindling-lsinitrd: shows the contents of an initramfs image, like dracut's lsinitrd.
#if canImport(Glibc)
import Glibc
#endif
import Archive
import Support

// First: a closed standard descriptor would otherwise be the next file opened.
reopenClosedStandardDescriptors()

/// The arguments as the raw bytes the kernel passed, so non-UTF-8 file names survive; read
/// without /proc, which a chroot may lack (the image asked for would silently become the default).
let rawArguments: [[UInt8]] = Array(ProcessArguments.bytes.dropFirst())

let options: CommandLineOptions
do {
    options = try CommandLineOptions(arguments: rawArguments)
} catch {
    reportError("\(error) (see --help)")
    exit(1)
}

if options.showsHelp {
    writeStandardOutput(CommandLineOptions.usage)
    exit(0)
}

let imagePath: String
if let image = options.image {
    guard isRegularFile(image) else {
        reportError("\(image) does not exist or is not a regular file")
        exit(1)
    }
    imagePath = image
} else {
    let found = DefaultImage.path(kernelVersion: options.kernelVersion)
    guard let path = found.path else {
        reportError("no image given, and none found for kernel \(found.kernelVersion)")
        exit(1)
    }
    imagePath = path
}

let output = StandardOutput()
let succeeded: Bool
do {
    // A unified kernel image: its sections are described, then its .initrd is read as an image.
    var archivePath = imagePath
    if let executable = UnifiedKernelImageFile(path: imagePath) {
        if options.action == .list {
            output.writeLine("initrd in UEFI: \(imagePath): \(humanReadableSize(diskUsage(of: imagePath)))")
            for line in try executable.summary() { output.writeLine(line) }
        }
        let temporaryDirectory = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
        archivePath = try executable.extractInitrd(into: temporaryDirectory ?? "/var/tmp")
    }
    defer { TemporaryFileRemoval.remove() }
    succeeded = try ImageInspector(
        imagePath: archivePath, displayName: archivePath == imagePath ? nil : imagePath + " (.initrd)", options: options,
        output: output
    ).run()
} catch {
    output.flush()
    // Most messages already name the image; the rest (a failing decompressor, say) get it added.
    let message = "\(error)"
    reportError(message.contains(imagePath) ? message : "\(imagePath): \(message)")
    exit(1)
}
output.flush()
exit(succeeded ? 0 : 1)
