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
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else {
            throw errno == ENOENT ? .sourceMissing : .failed(systemErrorDescription())
        }
        defer { close(input) }
        var status = stat()
        guard fstat(input, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            throw .failed("not a regular file")
        }
        try makeDirectory(PathText.directory(of: destination))
        let target = installer.imagePath(destination)
        let mode = status.st_mode & 0o7777
        let output = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard output >= 0 else {
            if errno == EEXIST { return false }
            throw .failed(systemErrorDescription())
        }
        let copied = Self.copyContents(from: input, to: output, size: Int(status.st_size))
        let failure = copied ? nil : systemErrorDescription()
        fchmod(output, mode)
        var times = [status.st_atim, status.st_mtim]
        futimens(output, &times)
        close(output)
        if let failure {
            unlink(target)
            throw .failed(failure)
        }
        return true
    }

    /// In-kernel copy with sendfile, else through a buffer.
    private static func copyContents(from input: Int32, to output: Int32, size: Int) -> Bool {
        var remaining = size
        while remaining > 0 {
            let count = sendfile(output, input, nil, remaining)
            if count > 0 { remaining -= count; continue }
            if count < 0 && errno == EINTR { continue }
            if count == 0 { return true }
            // EINVAL, ENOSYS...: the buffered copy carries on from the current offsets.
            return FileCopier.copy(from: input, to: output, size: remaining)
        }
        return true
    }
}
