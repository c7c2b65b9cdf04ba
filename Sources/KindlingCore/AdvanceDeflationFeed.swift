#if canImport(Glibc)
import Glibc
#endif
import Archive
import Installer

/// Hands `AdvanceDeflation` the large files the installer stages, as it stages them, and the
/// large libraries each executable will need: with lazy resolution (dracut's default) those are
/// installed only once every module has run, too late to compress them ahead, so the thread
/// finds them itself, on the host (their copies have the same bytes). The resolver keeps its
/// answers, so the lazy pass finds the work done. While modules are selected, the binaries their
/// check() requires are guessed at: they are usually installed as they are.
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

    /// Guesses at a binary found in the sysroot, and at its libraries.
    func guess(_ sysrootPath: String) {
        guard let host = try? libraries.hostPath(of: sysrootPath) else { return }
        if Self.isLarge(host) { advance.guess(host) }
        advance.guessLater { [libraries] in Self.largeLibraries(of: sysrootPath, libraries) }
    }

    /// The host paths of the libraries `path` needs that are large enough to be compressed ahead.
    private static func largeLibraries(of path: String, _ libraries: LibraryResolver) -> [String] {
        guard let found = try? libraries.dependencies(of: path) else { return [] }
        return found.files.compactMap { library -> String? in
            guard let host = try? libraries.hostPath(of: library), isLarge(host) else { return nil }
            return host
        }
    }

    private static func isLarge(_ host: String) -> Bool {
        var status = stat()
        return stat(host, &status) == 0 && status.st_mode & S_IFMT == S_IFREG
            && Int(status.st_size) >= CpioWriter.separateFileSize
    }
}
