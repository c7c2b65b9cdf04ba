#if canImport(Glibc)
import Glibc
#endif
import Support

/// modules.dep, read once per build: each module file and the files it needs loaded first.
/// Read as text rather than through libkmod, which drops a dependency line silently when one of
/// its files is missing; here a stale or malformed line is an error naming the file.
struct ModuleDependencyFile {
    /// Host path of a module -> host paths of its dependencies.
    let dependencies: [String: [String]]
    let path: String

    init(moduleDirectory: String) throws(KernelModuleError) {
        path = moduleDirectory + "/modules.dep"
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .corruptIndex(path: path, message: systemErrorDescription()) }
        let bytes = readAll(fd: fd)
        close(fd)
        // Scanned as bytes: the file has one line per module, thousands of them.
        let prefix = Array((moduleDirectory + "/").utf8)
        func hostPath(_ entry: ArraySlice<UInt8>) -> String {
            String(decoding: entry.first == UInt8(ascii: "/") ? Array(entry) : prefix + entry, as: UTF8.self)
        }
        var dependencies: [String: [String]] = [:]
        var lineNumber = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            guard !line.isEmpty else { continue }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon != line.startIndex else {
                throw .corruptIndex(path: path, message: "line \(lineNumber) is not 'module: dependencies'")
            }
            dependencies[hostPath(line[..<colon])] = line[(colon + 1)...]
                .split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }).map(hostPath)
        }
        self.dependencies = dependencies
    }

    func dependencies(ofModuleAt modulePath: String) throws(KernelModuleError) -> [String] {
        guard let found = dependencies[modulePath] else {
            throw .corruptIndex(path: path, message: "it does not list \(modulePath), which the binary index names")
        }
        return found
    }
}
