#if canImport(Glibc)
import Glibc
#endif
import Support

/// Installs the firmware that modules name (modinfo `firmware=`), as dracut-install does: each
/// name is looked up in every firmware directory, as given, then with `.zst` and `.xz`, and
/// expanded as a glob when it has glob characters and no file has that literal name.
/// Files go to /lib/firmware/NAME in the image, where the kernel looks for them.
final class FirmwareInstaller {
    /// Host directories, in dracut's fw_dir order (updates first).
    let directories: [String]
    private let copier: ImageFileCopier
    private let logger: Logger
    private var handled: Set<String> = []

    static let imageDirectory = "/lib/firmware"
    private static let compressedSuffixes = [".zst", ".xz"]

    init(directories: [String], copier: ImageFileCopier, logger: Logger) {
        self.directories = directories.map { KernelModuleIndex.normalizedDirectory($0) }
        self.copier = copier
        self.logger = logger
    }

    /// Missing firmware is normal (most modules list firmware for hardware the host lacks): a debug
    /// message only. A copy that fails is worth a warning but does not fail the module.
    func install(_ name: String, for module: String) {
        guard handled.insert(name).inserted else { return }
        guard Self.isSafe(name) else {
            logger.warning("kernel module \(module): firmware name '\(name)' leaves the firmware directory; ignored")
            return
        }
        var found = false
        for directory in directories {
            let candidate = directory + "/" + name
            if name.contains(where: { "*?[".contains($0) }) && access(candidate, F_OK) != 0 {
                for match in Self.glob(candidate) where installFile(match, as: String(match.dropFirst(directory.count + 1)), module: module) {
                    found = true
                }
            } else if installFile(candidate, as: name, module: module) {
                found = true
            }
        }
        if !found { logger.debug("Missing firmware \(name) for kernel module \(module)") }
    }

    /// Installs `path`, or its compressed form, at /lib/firmware/RELATIVE. True when one exists.
    private func installFile(_ path: String, as relative: String, module: String) -> Bool {
        for suffix in [""] + Self.compressedSuffixes where access(path + suffix, F_OK) == 0 {
            do {
                try copier.copy(path + suffix, to: Self.imageDirectory + "/" + relative + suffix)
            } catch {
                logger.warning("kernel module \(module): cannot install firmware \(path + suffix): \(error)")
            }
            return true
        }
        return false
    }

    private static func isSafe(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix("/") && !name.split(separator: "/").contains("..")
    }

    private static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        // Raw bytes both ways (PathBytes): a fw_dir that is not UTF-8 is searched as it is.
        guard PathBytes.withCString(pattern, { Glibc.glob($0, 0, nil, &result) }) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { PathBytes.string(cString: $0) } }
    }
}
