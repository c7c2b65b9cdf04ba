#if canImport(Glibc)
import Glibc
#endif
import Archive
import Installer

/// Hands `AdvanceDeflation` the large files the installer stages, as it stages them, and the
/// large libraries each executable will need: with lazy resolution (dracut's default) those are
/// installed only once every module has run, too late to compress them ahead, so the thread
/// finds them itself, on the host (their copies have the same bytes). The resolver keeps its
/// answers, so the lazy pass finds the work done.
struct AdvanceDeflationFeed {
    let advance: AdvanceDeflation
    let libraries: LibraryResolver

    func attach(to installer: FileInstaller) {
        installer.onFileCopied = { [advance, libraries] file in
            if file.size >= CpioWriter.separateFileSize { advance.prepare(file.imagePath, copyOf: file.hostPath) }
            guard file.mayNeedLibraries else { return }
            advance.prepareLater { Self.largeLibraries(of: file.sysrootPath, libraries) }
        }
    }

    /// The host paths of the libraries `path` needs that are large enough to be compressed ahead.
    private static func largeLibraries(of path: String, _ libraries: LibraryResolver) -> [String] {
        guard let found = try? libraries.dependencies(of: path) else { return [] }
        return found.files.compactMap { library -> String? in
            guard let host = try? libraries.hostPath(of: library) else { return nil }
            var status = stat()
            guard stat(host, &status) == 0, Int(status.st_size) >= CpioWriter.separateFileSize else { return nil }
            return host
        }
    }
}
