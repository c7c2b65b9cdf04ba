import Foundation
import StagedTree

/// The uncompressed first archive the kernel reads before anything else: CPU microcode as
/// kernel/x86/microcode/{AuthenticAMD,GenuineIntel}.bin, concatenated from the firmware directories.
struct EarlyMicrocode {
    static let vendors = [("amd-ucode", "AuthenticAMD.bin"), ("intel-ucode", "GenuineIntel.bin")]

    let firmwareDirectories: [String]

    /// Builds the tree under `directory`; returns false when there is no microcode to ship.
    func stage(in directory: String) throws -> Bool {
        let fileManager = FileManager.default
        let destination = directory + "/kernel/x86/microcode"
        var created = false
        for (source, name) in Self.vendors {
            var contents = Data()
            for firmware in firmwareDirectories {
                let vendorDirectory = firmware + "/" + source
                guard let files = try? fileManager.contentsOfDirectory(atPath: vendorDirectory) else { continue }
                for file in files.sorted() where !file.hasSuffix(".asc") {
                    if let data = fileManager.contents(atPath: vendorDirectory + "/" + file) { contents.append(data) }
                }
            }
            guard !contents.isEmpty else { continue }
            try fileManager.createDirectory(atPath: destination, withIntermediateDirectories: true)
            try contents.write(to: URL(fileURLWithPath: destination + "/" + name))
            created = true
        }
        if created { try "1\n".write(toFile: directory + "/early_cpio", atomically: false, encoding: .utf8) }
        return created
    }
}
