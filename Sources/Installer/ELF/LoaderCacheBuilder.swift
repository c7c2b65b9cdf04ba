import Foundation
import Support

/// build_ld_cache: the host's loader configuration goes in, then ldconfig indexes the image.
public struct LoaderCacheBuilder {
    let installer: FileInstaller
    let sysroot: String
    let logger: Logger
    /// The tree ldconfig runs on; nil: the installer's (see HelperContext.loaderCacheFollowsDestination).
    let cacheRoot: String?

    public init(installer: FileInstaller, sysroot: String, logger: Logger, cacheRoot: String? = nil) {
        self.installer = installer
        self.sysroot = sysroot
        self.logger = logger
        self.cacheRoot = cacheRoot
    }

    public func build() throws {
        var configurations = ["/etc/ld.so.conf"]
        let directory = sysroot + "/etc/ld.so.conf.d"
        configurations += ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted().map { "/etc/ld.so.conf.d/" + $0 }
        for path in configurations {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: sysroot + path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            try installer.install(path)
        }
        let ldconfig = currentEnvironment()["DRACUT_LDCONFIG"] ?? "ldconfig"
        let result = try runCommand(ldconfig, ["-r", cacheRoot ?? installer.imageRoot, "-f", "/etc/ld.so.conf"])
        if result.status != 0 {
            logger.error("ldconfig exited ungracefully: \(result.errorText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}
