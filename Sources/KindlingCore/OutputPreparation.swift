#if canImport(Glibc)
import Glibc
#endif
import Archive
import Configuration
import Foundation
import Support

/// Before anything is staged: the output directory locked (held to the end of the build, so
/// another build of the same image waits, then sees this one's image), what killed builds left
/// removed, the old image kept unless --force, and the --loginstall directory made.
struct OutputPreparation {
    let settings: BuildSettings
    let leftoverCutoff: Int
    let logger: Logger

    /// What the preparation leaves for the build.
    struct Prepared {
        let lock: OutputDirectoryLock?
        /// --loginstall DIR by its real path, once made.
        let installLogDirectory: String?
    }

    func run(writesImage: Bool, directory: String?) throws -> Prepared {
        guard writesImage, let directory else { return Prepared(lock: nil, installLogDirectory: nil) }
        let output = settings.outputPath
        let lock = try OutputDirectoryLock(
            directory: directory, timeout: settings.lockTimeout,
            waiting: { holder in
                logger.info("Waiting for \(holder.map { "build \($0)" } ?? "another build") writing into \(directory)")
            },
            checkpoint: { try Cancellation.shared.checkpoint() })
        // Holding the lock, no live build of this Kindling writes here: what killed builds left can
        // go, if it is older than every other build running (another version may lock otherwise).
        for leftover in AtomicFile.removeLeftovers(of: output, changedBefore: leftoverCutoff) {
            logger.info("Removed \(leftover), left by a build that was killed")
        }
        do {
            try checkExistingImage(output)
            return Prepared(lock: lock, installLogDirectory: try prepareInstallLog())
        } catch {
            lock.release()
            throw error
        }
    }

    private func checkExistingImage(_ output: String) throws {
        var status = stat()
        if stat(output, &status) == 0, !settings.force {
            throw BuildFailure("Will not override existing initramfs (\(output)) without --force")
        }
    }

    /// --loginstall DIR: created when missing, and named by its real path from then on.
    private func prepareInstallLog() throws -> String? {
        guard let directory = settings.paths.installLog else { return nil }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw BuildFailure("Could not create directory to log installed files to '\(directory)'.")
        }
        return (directory as NSString).resolvingSymlinksInPath
    }
}
