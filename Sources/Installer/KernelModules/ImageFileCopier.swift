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
    private lazy var background = BackgroundCopies()

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

    /// Where the host reaches the image's own `path`, following `imageRoot + path`: its real path
    /// relative to the image root, with no symlink in it; nil when that is not where the image's
    /// own symlinks lead (module code made one there that leads out of the image).
    func hostPathInImage(_ path: String) -> String? {
        guard let resolved = try? installer.imageFilePath(path) else { return nil }
        let viaHost = realpath(imageRoot + path, nil), viaImage = realpath(resolved, nil), root = realpath(imageRoot, nil)
        defer {
            free(viaHost)
            free(viaImage)
            free(root)
        }
        guard let viaHost, let viaImage, let root, strcmp(viaHost, viaImage) == 0 else { return nil }
        let real = PathBytes.string(cString: viaHost), top = PathBytes.string(cString: root)
        return real.hasPrefix(top + "/") ? String(real.dropFirst(top.count + 1)) : nil
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
        let (input, status) = try openSource(source)
        defer { close(input) }
        let path = try hostPath(of: destination)
        do {
            let copied = try FileCopier.copy(from: input, status: status, to: path)
            if copied { installer.installLog?.record(source) }
            return copied
        } catch {
            throw .failed(error.description)
        }
    }

    /// As `copy`, with the file's creation and bytes left to a worker thread: a missing source or
    /// directory fails here, a failed write in `finishCopiesInBackground`.
    func copyInBackground(_ source: String, to destination: String) throws(ImageCopyFailure) {
        let (input, status) = try openSource(source)
        let path: String
        do {
            path = try hostPath(of: destination)
        } catch {
            close(input)
            throw error
        }
        background.copy(input, status: status, source: source, to: path)
    }

    /// Waits for the background copies: the sources whose copy failed, with why. The copied ones
    /// go into the install log, in the order they were asked for.
    func finishCopiesInBackground() -> [(source: String, failure: ImageCopyFailure)] {
        let (copied, failures) = background.finish()
        for source in copied { installer.installLog?.record(source) }
        return failures.map { ($0.source, .failed($0.message)) }
    }

    private func openSource(_ source: String) throws(ImageCopyFailure) -> (Int32, stat) {
        let input = open(source, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard input >= 0 else {
            throw errno == ENOENT ? .sourceMissing : .failed(systemErrorDescription())
        }
        var status = stat()
        guard fstat(input, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            close(input)
            throw .failed("not a regular file")
        }
        return (input, status)
    }

    /// Where `destination` is on the host, its directory made.
    private func hostPath(of destination: String) throws(ImageCopyFailure) -> String {
        try makeDirectory(PathText.directory(of: destination))
        do {
            return try installer.imagePath(destination)
        } catch {
            throw .failed("\(error)")
        }
    }
}
