#if canImport(Glibc)
import Glibc
#endif
import Archive
import Configuration
import Foundation
import Support
import UnifiedKernelImage

/// What --uefi needs, found before the build starts: the stub read and checked, the kernel image,
/// the splash and OS release files, and the signing tools.
struct UEFIInputs {
    let settings: UEFISettings
    let stubPath: String
    let stub: PEImage
    let kernelImage: String
    let splashImage: String?
    let osRelease: String?
    /// sbsign and sbverify, when the executable is signed.
    let signingTools: (sign: String, verify: String)?

    /// Checks every input, in one line naming the setting and the file when one is wrong.
    init(
        _ settings: UEFISettings, kernelVersion: String, findExecutable: (String) -> String?, logger: Logger
    ) throws(PreflightError) {
        self.settings = settings
        stubPath = settings.stub
        guard let stubBytes = FileManager.default.contents(atPath: settings.stub).map(Array.init) else {
            throw .uefi(
                settings.stubIsGiven
                    ? "cannot read the UEFI stub '\(settings.stub)' (--uefi-stub, uefi_stub)"
                    : "cannot find a UEFI stub '\(settings.stub)' to create a UEFI executable: install systemd-boot-efi or give --uefi-stub")
        }
        do {
            stub = try PEImage(bytes: stubBytes)
            // The most sections an executable gets: .osrel, .cmdline, .splash, .sbat, .linux, .initrd.
            let most = [".osrel", ".cmdline", ".splash", ".sbat", ".linux", ".initrd"].map {
                AddedSection(name: $0, contents: .bytes([]))
            }
            let replaced: Set<String> = settings.sbat == nil ? [] : [".sbat"]
            _ = try UnifiedKernelImageWriter(stub: stub, sections: most, replacing: replaced)
                .layout(sizes: most.map { _ in 0 })
        } catch {
            throw .uefi("cannot use the UEFI stub '\(settings.stub)': \(error)")
        }
        if let given = settings.kernelImage {
            guard Self.isNonEmptyFile(given) else {
                throw .uefi("cannot find a kernel image '\(given)' to create a UEFI executable (--kernel-image, kernel_image)")
            }
            kernelImage = given
        } else {
            guard let found = settings.kernelImageCandidates.first(where: Self.isNonEmptyFile) else {
                throw .uefi(
                    "cannot find a kernel image of \(kernelVersion) to create a UEFI executable: none of "
                        + settings.kernelImageCandidates.joined(separator: ", ") + "; give --kernel-image")
            }
            kernelImage = found
        }
        if let splash = settings.splashImage, !Self.isNonEmptyFile(splash) {
            logger.warning("the UEFI splash image '\(splash)' (uefi_splash_image) is missing or empty: the executable has no splash")
            splashImage = nil
        } else {
            splashImage = settings.splashImage
        }
        osRelease = settings.osReleaseCandidates.first(where: Self.isNonEmptyFile)
        if let signing = settings.signing {
            guard let sign = findExecutable("sbsign"), let verify = findExecutable("sbverify") else {
                throw .uefi("uefi_secureboot_key: signing needs sbsign and sbverify (Debian: sbsigntool)")
            }
            try Self.checkReadable(signing.certificate, setting: "uefi_secureboot_cert")
            // With an engine, the key is the engine's name for it, not a file.
            if signing.engine == nil { try Self.checkReadable(signing.key, setting: "uefi_secureboot_key") }
            signingTools = (sign, verify)
        } else {
            signingTools = nil
        }
    }

    private static func isNonEmptyFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFREG && status.st_size > 0
    }

    private static func checkReadable(_ path: String, setting: String) throws(PreflightError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw .uefi("\(setting) '\(path)': cannot read it: \(systemErrorDescription())")
        }
        close(descriptor)
    }
}

/// Writes the unified kernel image from the archive the build wrote: the sections as dracut adds
/// them, signed with sbsign when a key is set and checked with sbverify, into a file that replaces
/// the output only when whole (and signed, when signing was asked for).
struct UnifiedKernelImageBuild {
    let inputs: UEFIInputs
    /// The build's archive, in the staging directory.
    let initramfs: String
    /// The staged tree, whose /etc/cmdline.d gives a host-only command line.
    let imageRoot: String
    let kernelCommandLine: String?
    let output: String
    /// Whether the executable is synced before it replaces the old one (`ImageSync`).
    let syncsOutput: Bool
    let temporaryDirectory: String
    let logger: Logger

    func run() throws {
        let sections = try addedSections()
        let writer = UnifiedKernelImageWriter(
            stub: inputs.stub, sections: sections, replacing: inputs.settings.sbat == nil ? [] : [".sbat"])
        let file = try AtomicFile(replacing: output)
        if let signing = inputs.settings.signing, let tools = inputs.signingTools {
            let unsigned = temporaryDirectory + "/linux.efi"
            let descriptor = open(unsigned, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else {
                throw BuildFailure("cannot create \(unsigned): \(systemErrorDescription())")
            }
            do {
                defer { close(descriptor) }
                try writer.write(to: descriptor) { try Cancellation.shared.checkpoint() }
            }
            try sign(unsigned, into: file.temporaryPath, with: signing, tools: tools)
            try file.commit(syncing: syncsOutput)
            logger.info("*** Creating signed UEFI image file '\(output)' done ***")
        } else {
            try writer.write(to: file.fileDescriptor) { try Cancellation.shared.checkpoint() }
            try file.commit(syncing: syncsOutput)
            logger.info("*** Creating UEFI image file '\(output)' done ***")
        }
    }

    /// dracut's sections, in its order: .osrel, .cmdline, .splash, (dracut-ng's .sbat), .linux, .initrd.
    func addedSections() throws -> [AddedSection] {
        var sections: [AddedSection] = []
        if let osRelease = inputs.osRelease { sections.append(AddedSection(name: ".osrel", contents: .file(path: osRelease))) }
        if let commandLine = commandLineSection() {
            logger.info("Using UEFI kernel cmdline:")
            logger.info(String(decoding: commandLine.dropLast(), as: UTF8.self))
            sections.append(AddedSection(name: ".cmdline", contents: .bytes(commandLine)))
        }
        if let splash = inputs.splashImage { sections.append(AddedSection(name: ".splash", contents: .file(path: splash))) }
        if let sbat = inputs.settings.sbat {
            sections.append(AddedSection(name: ".sbat", contents: .bytes(try mergedSBAT(user: sbat))))
        }
        sections.append(AddedSection(name: ".linux", contents: .file(path: inputs.kernelImage)))
        sections.append(AddedSection(name: ".initrd", contents: .file(path: initramfs)))
        return sections
    }

    /// --kernel-cmdline as given; else, host-only, the image's /etc/cmdline.d/*.conf joined (or the
    /// running kernel's command line when the image has no such directory); NUL-terminated.
    func commandLineSection() -> [UInt8]? {
        if let given = kernelCommandLine, !given.isEmpty { return Array(given.utf8) + [0] }
        guard inputs.settings.hostonlyCommandLine else { return nil }
        let directory = imageRoot + "/etc/cmdline.d"
        var text: String
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
                .filter { $0.hasSuffix(".conf") }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            guard !names.isEmpty else { return nil }
            text = names.map { Self.withoutTrailingNewlines(Self.fileText(directory + "/" + $0)) + " " }.joined()
        } else if let running = try? String(contentsOfFile: "/proc/cmdline", encoding: .utf8) {
            text = Self.withoutTrailingNewlines(running) + " "
        } else {
            return nil
        }
        return Array(text.utf8) + [0]
    }

    /// Text as bash's `$(< file)` gives it: trailing newlines cut.
    private static func withoutTrailingNewlines(_ text: String) -> String {
        var text = text
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    private static func fileText(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// dracut-ng's .sbat: defaults, the user's lines, then the kernel's and the stub's own.
    private func mergedSBAT(user: String) throws -> [UInt8] {
        var sections: [ArraySlice<UInt8>] = []
        if let contents = Self.sbatSection(ofKernel: inputs.kernelImage) { sections.append(contents) }
        if let section = inputs.stub.section(named: ".sbat"), let contents = inputs.stub.contents(of: section) {
            sections.append(contents)
        }
        return SBATMerge.merged(user: user, sections: sections)
    }

    /// The kernel's own .sbat, when it is a PE image with one: its headers, then that section, are
    /// read, not the whole kernel.
    private static func sbatSection(ofKernel path: String) -> ArraySlice<UInt8>? {
        guard let kernel = PEFile(path: path), let section = kernel.image.section(named: ".sbat") else { return nil }
        return kernel.contents(of: section)?[...]
    }

    /// sbsign, then sbverify with the certificate: a key that does not match it fails the build.
    private func sign(
        _ unsigned: String, into signed: String, with signing: SecureBootSigning, tools: (sign: String, verify: String)
    ) throws {
        var arguments = signing.engine.map { ["--engine", $0] } ?? []
        arguments += ["--key", signing.key, "--cert", signing.certificate, "--output", signed, unsigned]
        let signature = try runCommand(tools.sign, arguments)
        let mismatch = BuildFailure(
            "uefi_secureboot_key '\(signing.key)' does not match uefi_secureboot_cert '\(signing.certificate)'")
        guard signature.status == 0 || !signature.errorText.contains("does not match certificate") else { throw mismatch }
        guard signature.status == 0 else {
            throw BuildFailure(
                "sbsign cannot sign with uefi_secureboot_key '\(signing.key)': "
                    + Self.lastLine(signature.errorText + signature.outputText))
        }
        let check = try runCommand(tools.verify, ["--cert", signing.certificate, signed])
        guard check.status == 0 else { throw mismatch }
    }

    private static func lastLine(_ text: String) -> String {
        text.split(separator: "\n").last.map(String.init) ?? "no message"
    }
}
