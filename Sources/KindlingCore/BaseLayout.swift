#if canImport(Glibc)
import Glibc
#endif
import Configuration
import Foundation
import Installer
import Support

/// build_ld_cache: the host's loader configuration goes in, then ldconfig indexes the image.
struct LoaderCacheBuilder {
    let installer: FileInstaller
    let sysroot: String
    let logger: Logger

    func build() throws {
        var configurations = ["/etc/ld.so.conf"]
        let directory = sysroot + "/etc/ld.so.conf.d"
        configurations += ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted().map { "/etc/ld.so.conf.d/" + $0 }
        for path in configurations {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: sysroot + path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            try installer.install(path)
        }
        let ldconfig = currentEnvironment()["DRACUT_LDCONFIG"] ?? "ldconfig"
        let result = try runCommand(ldconfig, ["-r", installer.imageRoot, "-f", "/etc/ld.so.conf"])
        if result.status != 0 {
            logger.error("ldconfig exited ungracefully: \(result.errorText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}

/// -i/--include SRC DST: a file is installed with what it needs; a directory's contents are copied.
struct Includes {
    let installer: FileInstaller
    let logger: Logger

    func include(_ source: String, at target: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
            logger.error("\(source) doesn't exist")
            return
        }
        if !isDirectory.boolValue {
            guard try installer.install(source, at: target, resolvingDependencies: true) else {
                throw BuildFailure("--include: cannot install \(source)")
            }
            return
        }
        let destination = try installer.imageFilePath(target)
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        let copy = try runCommand("cp", ["--reflink=auto", "--sparse=auto", "--preserve=mode,timestamps,links", "-dfr",
                                         source + "/.", destination + "/"])
        guard copy.status == 0 else {
            throw BuildFailure("--include: copying \(source) failed: \(copy.errorText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}
