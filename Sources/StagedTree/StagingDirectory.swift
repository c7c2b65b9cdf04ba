#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Support

public struct StagingError: Error, CustomStringConvertible {
    public let description: String
}

/// The build's temporary directory (dracut's DRACUT_TMPDIR), holding the image tree `initramfs/`.
/// It is removed when the build ends, however it ends, unless the user asked to keep it.
public final class StagingDirectory {
    public let path: String
    public var imageRoot: String { path + "/initramfs" }
    public var keep = false
    private var removed = false

    public init(parent: String) throws {
        var template = Array((parent + "/kindling.XXXXXX").utf8CString)
        guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw StagingError(description: "cannot create a temporary directory in \(parent): \(systemErrorDescription())")
        }
        path = String(cString: created)
        guard mkdir(path + "/initramfs", 0o755) == 0 else {
            let message = systemErrorDescription()
            try? FileManager.default.removeItem(atPath: path)
            throw StagingError(description: "cannot create \(path)/initramfs: \(message)")
        }
    }

    deinit { remove() }

    public func remove() {
        guard !removed, !keep else { return }
        removed = true
        try? FileManager.default.removeItem(atPath: path)
    }
}
