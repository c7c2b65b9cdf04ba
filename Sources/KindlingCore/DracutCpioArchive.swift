#if canImport(Glibc)
import Glibc
#endif
import Archive
import Foundation
import Support

/// --enhanced-cpio with dracut's own `dracut-cpio` in its base directory: the archive is written by
/// that tool, as dracut 059 and dracut-ng 112 both do then. It takes the tree's paths as
/// `find . -print0 | sort -z` lists them, gives every member the time 0, and pads each file's name
/// so its data starts on the file system's block size, where a reflink-capable file system can
/// share the blocks with the tree.
struct DracutCpioArchive {
    let tool: String
    /// dracut's cpio_owner: without root, the members are still root's.
    var owner: String? { geteuid() == 0 ? nil : "0:0" }

    /// Writes the archive of `root` into `path`, appending to what is there unless `truncating`.
    func write(root: String, entries: [ArchiveEntry], to path: String, truncating: Bool = false) throws {
        // The bytes of `find . -print0 | sort -z` in the C locale.
        let names = ([RawPath(".")] + entries.filter { $0.path != "." }.map { RawPath(bytes: Array("./".utf8) + $0.path.bytes) })
            .map(\.bytes).sorted { $0.lexicographicallyPrecedes($1) }
        var list: [UInt8] = []
        for name in names { list += name + [0] }
        var arguments = [root, tool, "--null"]
        if let owner { arguments += ["--owner", owner] }
        arguments += ["--mtime", "0", "--data-align", String(try Self.blockSize(of: root))]
        if truncating { arguments.append("--truncate-existing") }
        arguments.append(path)
        // dracut-cpio reads the names relative to its working directory.
        let output = try runCommand("/bin/sh", ["-c", "cd \"$0\" && exec \"$@\""] + arguments, input: list)
        guard output.status == 0 else {
            let reason = output.errorText.split(separator: "\n").last.map(String.init) ?? "status \(output.status)"
            throw BuildFailure("--enhanced-cpio: \(tool) failed: \(reason)")
        }
    }

    /// What `stat -f -c %s` prints: the file system's optimal transfer size (statvfs gives statfs's f_bsize).
    static func blockSize(of directory: String) throws -> Int {
        var status = statvfs()
        guard statvfs(directory, &status) == 0 else {
            throw BuildFailure("--enhanced-cpio: cannot read the file system of \(directory): \(systemErrorDescription())")
        }
        return Int(status.f_bsize)
    }
}
