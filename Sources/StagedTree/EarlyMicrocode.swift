import Foundation
import Support

/// The uncompressed first archive the kernel reads before anything else: CPU microcode as
/// kernel/x86/microcode/{AuthenticAMD,GenuineIntel}.bin, concatenated from the firmware directories.
/// In hostonly mode only the running CPU's vendor and its own file go in, as dracut does.
public struct EarlyMicrocode {
    static let vendors = [
        (vendor: "AMD", directory: "amd-ucode", name: "AuthenticAMD.bin"),
        (vendor: "Intel", directory: "intel-ucode", name: "GenuineIntel.bin"),
    ]

    let firmwareDirectories: [String]
    /// The host CPU, when only its microcode should go in.
    let hostProcessor: HostProcessor?

    public init(firmwareDirectories: [String], hostProcessor: HostProcessor?) {
        self.firmwareDirectories = firmwareDirectories
        self.hostProcessor = hostProcessor
    }

    /// Builds the tree under `directory`; returns false when there is no microcode to ship.
    public func stage(in directory: String) throws -> Bool {
        let fileManager = FileManager.default
        let destination = directory + "/kernel/x86/microcode"
        var created = false
        for vendor in Self.vendors where hostProcessor.map({ $0.vendor == vendor.vendor }) ?? true {
            var contents = Data()
            for firmware in firmwareDirectories {
                let vendorDirectory = firmware + "/" + vendor.directory
                // readdir and open as bytes: an fw_dir whose name is not UTF-8 is searched as it is.
                guard var files = directoryEntries(vendorDirectory) else { continue }
                if let own = hostProcessor?.microcodeFile {
                    // dracut also accepts the .initramfs variant some distributions ship.
                    files = files.filter { $0 == own || $0 == own + ".initramfs" }.prefix(1).map { $0 }
                }
                for file in files.sorted() where !file.hasSuffix(".asc") {
                    let fd = open(vendorDirectory + "/" + file, O_RDONLY | O_CLOEXEC)
                    guard fd >= 0 else { continue }
                    contents.append(contentsOf: readAll(fd: fd))
                    close(fd)
                }
            }
            guard !contents.isEmpty else { continue }
            try fileManager.createDirectory(atPath: destination, withIntermediateDirectories: true)
            try contents.write(to: URL(fileURLWithPath: destination + "/" + vendor.name))
            created = true
        }
        if created { try "1\n".write(toFile: directory + "/early_cpio", atomically: false, encoding: .utf8) }
        return created
    }
}

/// The running CPU as /proc/cpuinfo describes it, and the name of its microcode file. Fed the
/// text rather than reading /proc itself, so a build or a test can say which CPU it is for.
public struct HostProcessor: Equatable, Sendable {
    public var vendor: String
    public var family: Int
    public var model: Int
    public var stepping: Int

    public init?(cpuinfo: String) {
        func value(_ key: String) -> String? {
            cpuinfo.split(separator: "\n").first { $0.hasPrefix(key) && $0.contains(":") }
                .map { $0[$0.index(after: $0.firstIndex(of: ":")!)...].trimmingCharacters(in: .whitespaces) }
        }
        if cpuinfo.contains("AMD") { vendor = "AMD" } else if cpuinfo.contains("Intel") { vendor = "Intel" } else { return nil }
        guard let family = value("cpu family").flatMap({ Int($0) }), let model = value("model\t").flatMap({ Int($0) }),
            let stepping = value("stepping").flatMap({ Int($0) })
        else { return nil }
        self.family = family
        self.model = model
        self.stepping = stepping
    }

    /// amd-ucode/microcode_amd_fam19h.bin, or intel-ucode/06-55-04 (hex family-model-stepping).
    public var microcodeFile: String {
        if vendor == "AMD" {
            return family >= 21 ? "microcode_amd_fam\(String(family, radix: 16))h.bin" : "microcode_amd.bin"
        }
        func hex(_ value: Int) -> String { value < 16 ? "0" + String(value, radix: 16) : String(value, radix: 16) }
        return "\(hex(family))-\(hex(model))-\(hex(stepping))"
    }
}
