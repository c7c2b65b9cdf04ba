#if canImport(Glibc)
import Glibc
#endif
import Configuration
import Foundation
import Installer
import Support

/// dracut-ng's --remove and remove_items: each path is removed from the image tree, with what it
/// holds, after the strip and the squash pass, just before the archive is written. A path that
/// is not there is no error, as in dracut-ng; one that climbs out of the image is refused.
struct RemovedPaths {
    let paths: [String]
    let imageRoot: String
    let logger: Logger

    init(_ paths: [String], imageRoot: String, logger: Logger) {
        self.paths = paths
        self.imageRoot = imageRoot
        self.logger = logger
    }

    func remove() throws {
        for path in paths {
            let components = path.split(separator: "/").filter { $0 != "." }
            guard !components.isEmpty else {
                throw BuildFailure("--remove \(PathBytes.quoted(path)): names the whole image")
            }
            guard !components.contains("..") else {
                throw BuildFailure("--remove \(PathBytes.quoted(path)): climbs out of the image")
            }
            let target = imageRoot + "/" + components.joined(separator: "/")
            var status = stat()
            guard lstat(target, &status) == 0 else { continue }
            do {
                try FileManager.default.removeItem(atPath: target)
            } catch {
                throw BuildFailure("--remove \(PathBytes.quoted(path)): \(error.localizedDescription)")
            }
            logger.debug("Removed \(path) from the image (--remove)")
        }
    }
}
