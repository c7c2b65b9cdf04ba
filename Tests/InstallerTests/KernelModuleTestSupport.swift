import Foundation
import Support
import XCTest

@testable import Installer

/// A real Debian kernel (Tests/support/kernel-cache), an image directory per test, and the
/// oracles the kernel module tests compare against: modprobe --show-depends and dracut-install.
enum KernelModuleTestSupport {
    struct Kernel: Sendable {
        let version: String
        let root: String
        var moduleDirectory: String { "\(root)/lib/modules/\(version)" }
    }

    /// The cache script runs once per test process; it may download the kernel the first time.
    private static let cachedKernel: Result<Kernel, SubprocessError> = {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("support/kernel-cache").path
        guard let result = try? runCommand(script, []) else { return .failure(SubprocessError("cannot run \(script)")) }
        let words = result.outputText.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        guard result.status == 0, words.count == 2 else {
            let reason = result.errorText.split(separator: "\n").last.map(String.init) ?? "status \(result.status)"
            return .failure(SubprocessError(reason))
        }
        return .success(Kernel(version: words[0], root: words[1]))
    }()

    static func kernel() throws -> Kernel {
        switch cachedKernel {
        case .success(let kernel): return kernel
        case .failure(let error): throw XCTSkip("the test kernel is unavailable (no network or apt cache?): \(error)")
        }
    }

    static let dracutInstall = "/usr/lib/dracut/dracut-install"

    // MARK: Builds

    /// One build's worth of kernel module machinery on a fresh image directory.
    final class Build {
        let image: String
        let fileInstaller: FileInstaller
        let index: KernelModuleIndex
        let modules: KernelModuleInstaller
        let logger: Logger
        private(set) var messages: [String] = []

        init(
            moduleDirectory: String, version: String, firmwareDirectories: [String] = [],
            configurationPaths: [String]? = nil
        ) throws {
            image = try makeTemporaryDirectory()
            logger = Logger(level: .fatal)
            fileInstaller = FileInstaller(
                sysroot: "", imageRoot: image, searchPath: [],
                resolver: LibraryResolver(sysroot: ""), resolvesEagerly: false, logger: logger)
            index = try KernelModuleIndex(directory: moduleDirectory, configurationPaths: configurationPaths, logger: logger)
            modules = KernelModuleInstaller(
                index: index, kernelVersion: version, firmwareDirectories: firmwareDirectories,
                imageInstaller: fileInstaller, logger: logger)
            logger.addSink { [weak self] line in self?.messages.append(line) }
        }

        deinit { try? FileManager.default.removeItem(atPath: image) }

        /// Module files under /lib/modules/KVER of the image, relative to it (indexes left out).
        func installedModules(version: String) -> Set<String> {
            relativeFiles(under: "\(image)/lib/modules/\(version)").filter { $0.contains(".ko") }
        }
    }

    // MARK: Oracles

    /// kmod's tools live in /usr/sbin or /sbin, which a test's PATH may lack.
    static func systemTool(_ name: String) -> String {
        ["/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"].map { $0 + name }.first { access($0, X_OK) == 0 } ?? name
    }

    /// The module files `modprobe --show-depends` would insert, relative to the module directory.
    static func showDepends(_ module: String, kernel: Kernel) throws -> Set<String> {
        let result = try runCommand(
            systemTool("modprobe"),
            ["-d", kernel.root, "-S", kernel.version, "--show-depends", module])
        guard result.status == 0 else { throw XCTSkip("modprobe --show-depends \(module) failed: \(result.errorText)") }
        let prefix = kernel.moduleDirectory + "/"
        return Set(
            result.outputText.split(separator: "\n").compactMap { line -> String? in
                let words = line.split(separator: " ")
                guard words.count >= 2, words[0] == "insmod" else { return nil }
                return String(words[1].dropFirst(prefix.count))
            })
    }

    /// What dracut 059's own dracut-install copies for `-m ARGUMENTS`, relative to /lib/modules/KVER.
    static func dracutInstallModules(_ arguments: [String], kernel: Kernel) throws -> Set<String> {
        guard FileManager.default.isExecutableFile(atPath: dracutInstall) else { throw XCTSkip("dracut-install is not installed") }
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try runCommand(
            dracutInstall, ["-D", directory, "--kerneldir", kernel.moduleDirectory, "-m"] + arguments,
            environment: ["DRACUT_FIRMWARE_PATH": "/nonexistent", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
        guard result.status == 0 else { throw XCTSkip("dracut-install failed: \(result.errorText)") }
        return relativeFiles(under: "\(directory)/lib/modules/\(kernel.version)").filter { $0.contains(".ko") }
    }

    // MARK: Files

    static func makeTemporaryDirectory() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/kindling-kmod-XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        let directory = String(cString: try XCTUnwrap(created))
        TemporaryDirectories.removeAtExit(directory)
        return directory
    }

    /// Directories made for tests, removed when the test process exits: a module tree's path lies
    /// inside the directory made for it, so its users cannot remove that themselves.
    enum TemporaryDirectories {
        nonisolated(unsafe) private static var made: [String] = []
        private static let lock = NSLock()
        private static let registration: Void = {
            atexit {
                for directory in TemporaryDirectories.made { try? FileManager.default.removeItem(atPath: directory) }
            }
        }()

        static func removeAtExit(_ directory: String) {
            registration
            lock.withLock { made.append(directory) }
        }
    }

    /// Regular files under `directory` (following a symlinked directory itself), relative to it.
    static func relativeFiles(under directory: String) -> Set<String> {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var files: Set<String> = []
        while let path = enumerator.nextObject() as? String {
            var status = stat()
            if stat(directory + "/" + path, &status) == 0, status.st_mode & S_IFMT == S_IFREG { files.insert(path) }
        }
        return files
    }

    /// A small module tree of real modules (copied, optionally compressed with xz) indexed by depmod:
    /// room to corrupt things without touching the shared cache.
    static func makeModuleTree(copying relativePaths: [String], from kernel: Kernel, compress: Bool = false) throws -> String {
        let root = try makeTemporaryDirectory()
        let directory = "\(root)/lib/modules/\(kernel.version)"
        for relative in relativePaths {
            let destination = "\(directory)/\(relative)"
            try FileManager.default.createDirectory(
                atPath: (destination as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "\(kernel.moduleDirectory)/\(relative)", toPath: destination)
            if compress {
                let result = try runCommand("/usr/bin/xz", ["--check=crc32", "--lzma2=dict=1MiB", destination])
                guard result.status == 0 else { throw XCTSkip("xz is unavailable: \(result.errorText)") }
            }
        }
        for name in ["modules.builtin", "modules.builtin.modinfo", "modules.order"] {
            try? FileManager.default.copyItem(atPath: "\(kernel.moduleDirectory)/\(name)", toPath: "\(directory)/\(name)")
        }
        let result = try runCommand(ModuleIndexWriter.depmodPath(), ["-a", "-b", root, kernel.version])
        XCTAssertEqual(result.status, 0, result.errorText)
        return directory
    }
}
