import Foundation
import Support

/// -i/--include SRC DST: a file is installed with what it needs; a directory's contents are copied.
public struct Includes {
    let installer: FileInstaller
    let logger: Logger

    public init(installer: FileInstaller, logger: Logger) {
        self.installer = installer
        self.logger = logger
    }

    public func include(_ source: String, at target: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
            logger.error("\(source) doesn't exist")
            return
        }
        if !isDirectory.boolValue {
            guard try installer.install(source, at: target, resolvingDependencies: true) else {
                throw InstallError.failed("--include: cannot install \(source)")
            }
            return
        }
        let destination = try installer.imageFilePath(target)
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        let copy = try runCommand(
            "cp",
            [
                "--reflink=auto", "--sparse=auto", "--preserve=mode,timestamps,links", "-dfr",
                source + "/.", destination + "/",
            ])
        guard copy.status == 0 else {
            throw InstallError.failed("--include: copying \(source) failed: \(copy.errorText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}
