import Archive
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
    /// dracut's early_microcode_image_dir and early_microcode_image_name: early images (such as
    /// Arch's /boot/intel-ucode.img) whose kernel/x86/microcode/VENDOR.bin is taken for a vendor
    /// the firmware directories have nothing for.
    var imageDirectories: [String]
    var imageNames: [String]

    /// dracut's default image names, looked for in SYSROOT/boot.
    public static let defaultImageNames = [
        "intel-uc.img", "intel-ucode.img", "amd-uc.img", "amd-ucode.img", "early_ucode.cpio", "microcode.cpio",
    ]

    public init(
        firmwareDirectories: [String], hostProcessor: HostProcessor?, imageDirectories: [String] = [],
        imageNames: [String] = defaultImageNames
    ) {
        self.firmwareDirectories = firmwareDirectories
        self.hostProcessor = hostProcessor
        self.imageDirectories = imageDirectories
        self.imageNames = imageNames
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
            if contents.isEmpty, let found = microcodeFromImages(named: vendor.name) { contents = Data(found) }
            guard !contents.isEmpty else { continue }
            try fileManager.createDirectory(atPath: destination, withIntermediateDirectories: true)
            try contents.write(to: URL(fileURLWithPath: destination + "/" + vendor.name))
            created = true
        }
        if created { try "1\n".write(toFile: directory + "/early_cpio", atomically: false, encoding: .utf8) }
        return created
    }

    /// The first image, directory by directory and name by name, whose first archive holds
    /// kernel/x86/microcode/NAME, as dracut's `cpio --extract` finds it; an image that is not a
    /// cpio archive is passed over.
    func microcodeFromImages(named name: String) -> [UInt8]? {
        let member = RawPath("kernel/x86/microcode/" + name)
        for directory in imageDirectories {
            for image in imageNames {
                guard let source = try? FileSource(path: directory + "/" + image) else { continue }
                let reader = CpioReader(source: source, name: image)
                while let entry = try? reader.nextMember() {
                    if entry.path == member || entry.path == RawPath("./kernel/x86/microcode/" + name),
                        let data = try? reader.readData(), !data.isEmpty
                    {
                        return data
                    }
                }
            }
        }
        return nil
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
