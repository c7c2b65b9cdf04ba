#if canImport(Glibc)
import Glibc
#endif
import Support

/// Why a host file could not be copied into the image.
enum ImageCopyFailure: Error, CustomStringConvertible {
    case sourceMissing
    case failed(String)

    var description: String {
        switch self {
        case .sourceMissing: return systemErrorDescription(ENOENT)
        case .failed(let message): return message
        }
    }
}

/// Copies host files (the module directory and firmware directories may lie outside the sysroot)
/// into the image: content, mode and times, with the parent directories made the way FileInstaller
/// makes them, so a sysroot's `lib -> usr/lib` is replicated as dracut-install does.
final class ImageFileCopier {
    private let installer: FileInstaller
    private var createdDirectories: Set<String> = []

    init(installer: FileInstaller) {
        self.installer = installer
    }

    var imageRoot: String { installer.imageRoot }

    func imageContains(_ path: String) -> Bool { installer.imageContains(path) }

    /// Whether the image's own `path` is a directory.
    func imageHasDirectory(_ path: String) -> Bool {
        var status = stat()
        guard let resolved = try? installer.imageFilePath(path) else { return false }
        return stat(resolved, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
    }

    /// Whether the host reaches the image's own `path` when it follows `imageRoot + path` (it does
    /// not when module code made a symlink there that leads out of the image).
    func hostPathStaysInImage(_ path: String) -> Bool {
        guard let resolved = try? installer.imageFilePath(path) else { return false }
        let viaHost = realpath(imageRoot + path, nil), viaImage = realpath(resolved, nil)
        defer {
            free(viaHost)
            free(viaImage)
        }
        guard let viaHost, let viaImage else { return false }
        return strcmp(viaHost, viaImage) == 0
    }

    func makeDirectory(_ path: String) throws(ImageCopyFailure) {
        guard createdDirectories.insert(path).inserted else { return }
        do {
            try installer.installDirectory(path)
        } catch {
            createdDirectories.remove(path)
            throw .failed("\(error)")
        }
    }

    /// Copies `source` to the absolute image path `destination`. False when something is already there.
    @discardableResult
    func copy(_ source: String, to destination: String) throws(ImageCopyFailure) -> Bool {
        let input = open(source, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard input >= 0 else {
            throw errno == ENOENT ? .sourceMissing : .failed(systemErrorDescription())
        }
        defer { close(input) }
        var status = stat()
        guard fstat(input, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            throw .failed("not a regular file")
        }
        try makeDirectory(PathText.directory(of: destination))
        do {
            let copied = try FileCopier.copy(from: input, status: status, to: installer.imagePath(destination))
            if copied { installer.installLog?.record(source) }
            return copied
        } catch let error as InstallError {
            throw .failed(error.description)
        } catch {
            throw .failed("\(error)")
        }
    }
}
