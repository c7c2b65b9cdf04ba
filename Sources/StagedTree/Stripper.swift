#if canImport(Glibc)
import Glibc
#endif
import Archive
import Foundation
import Support

/// dracut's strip pass: debug information goes from every executable file and from kernel
/// modules, but never from a signed module, whose appended signature stripping would break.
public struct Stripper {
    let imageRoot: String
    /// dracut's `--aggressive-strip` strips everything strip removes by default, not just debug info.
    let aggressive: Bool
    let logger: Logger
    let scope: Scope

    /// Which files a pass strips: kernel modules may go first, before depmod reads them, so that
    /// the image can be written while depmod runs.
    public enum Scope: Sendable {
        case everything, kernelModules, allButKernelModules
    }

    static let moduleSignatureMarker = Array("~Module signature appended~\n".utf8)

    public init(imageRoot: String, aggressive: Bool, logger: Logger, scope: Scope = .everything) {
        self.imageRoot = imageRoot
        self.aggressive = aggressive
        self.logger = logger
        self.scope = scope
    }

    public func run() throws {
        guard let tool = ["eu-strip", "strip"].lazy.compactMap(findExecutableInSearchPath).first else {
            if scope != .kernelModules { logger.info("Could not find 'strip'. Not stripping the initramfs.") }
            return
        }
        // dracut's lines belong to the pass that comes where dracut strips.
        let announces = scope != .kernelModules
        if announces { logger.info("*** Stripping files ***") }
        // Only the files strip could change: on a distribution's binaries, usually none.
        let files = candidates().filter(mayChange)
        logger.debug("strip: \(files.count) files strip could change")
        let arguments = aggressive ? ["-p"] : ["-g", "-p"]
        // Batches keep the argument list well under the kernel's limit, as xargs does.
        for start in stride(from: 0, to: files.count, by: 500) {
            let batch = Array(files[start..<min(start + 500, files.count)])
            // Scripts and other non-ELF files make strip complain; dracut discards that too.
            _ = try runCommand(tool, arguments + batch)
        }
        if announces { logger.info("*** Stripping files done ***") }
    }

    /// Regular files dracut strips: kernel modules without a signature, and every executable.
    private func candidates() -> [String] {
        var found: [String] = []
        collect(in: "", into: &found)
        return found.sorted()
    }

    /// The walk, with directory entries read directly: FileManager's enumerator cost more than
    /// the probe of every file it found. Symlinks to directories are not followed.
    private func collect(in relativeDirectory: String, into found: inout [String]) {
        guard let entries = typedDirectoryEntries(imageRoot + relativeDirectory) else { return }
        for entry in entries {
            let relative = relativeDirectory + "/" + entry.name
            let path = imageRoot + relative
            switch entry.typeNotFollowing(at: path) {
            case DT_DIR:
                collect(in: relative, into: &found)
            case DT_REG:
                // A module goes whatever its mode: only an executable needs its status looked at.
                if relative.containsBytes(of: "lib/modules/") && relative.hasSuffix(".ko") {
                    if scope != .allButKernelModules && !isSigned(path) { found.append(path) }
                    continue
                }
                guard scope != .kernelModules else { continue }
                var status = stat()
                if lstat(path, &status) == 0, status.st_mode & 0o111 != 0 { found.append(path) }
            default:
                continue
            }
        }
    }

    /// StripProbe's verdict on one file; a file it cannot open goes to strip, which reports it.
    private func mayChange(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { return true }
        let verdict = StripProbe.verdict(size: UInt64(status.st_size), aggressive: aggressive) { offset, count in
            guard count >= 0, offset <= UInt64(Int64.max) else { return nil }
            var bytes = [UInt8](repeating: 0, count: count)
            let read = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
            return read == count ? bytes : nil
        }
        return verdict == .mayChange
    }

    private func isSigned(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        let length = Self.moduleSignatureMarker.count
        let end = lseek(fd, 0, SEEK_END)
        guard end >= length else { return false }
        var tail = [UInt8](repeating: 0, count: length)
        return pread(fd, &tail, length, end - off_t(length)) == length && tail == Self.moduleSignatureMarker
    }
}
