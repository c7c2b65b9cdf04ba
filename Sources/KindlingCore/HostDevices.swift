import Configuration
import Foundation
import Support

/// The host's devices a hostonly build is for, from `--mount` lines and `--add-device`, as
/// dracut fills its host_devs and host_fs_types.
struct HostDevices {
    var devices: [String] = []
    /// dracut-ng keeps the devices the user named (--mount, --add-device) apart, in user_devs:
    /// its base module waits for them by the name given too. Empty for 059, which has no such list.
    var userDevices: [String] = []
    /// Device path -> filesystem type.
    var filesystemTypes: [String: String] = [:]

    init(contents: ImageContents, logger: Logger, separatesUserDevices: Bool = false) {
        func addUserDevice(_ device: String) {
            if !separatesUserDevices { return add(device) }
            if !userDevices.contains(device) { userDevices.append(device) }
        }
        for line in contents.mountLines {
            let fields = line.split(whereSeparator: \.isWhitespace).map(String.init)
            guard let first = fields.first else { continue }
            guard let device = Self.resolve(first) else {
                logger.warning("Bad fstab entry \(line)")
                continue
            }
            addUserDevice(device)
            if fields.count > 2 { filesystemTypes[device] = fields[2] }
        }
        for file in contents.fstabFiles {
            for device in Self.firstFields(ofFile: file) { add(device) }
        }
        for device in contents.addedDevices { addUserDevice(device) }
    }

    /// What `while read -r dev rest` gives for each line of an --add-fstab file (comments and
    /// blank lines included, as dracut reads them); nothing when the file is missing.
    static func firstFields(ofFile path: String) -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty else { return [] }
        var lines = text.components(separatedBy: "\n")
        if text.hasSuffix("\n") { lines.removeLast() }
        return lines.map { line in
            String(line.drop { $0 == " " || $0 == "\t" }.prefix { $0 != " " && $0 != "\t" })
        }
    }

    private mutating func add(_ device: String) {
        if !devices.contains(device) { devices.append(device) }
    }

    /// UUID=, LABEL=, PARTUUID= and PARTLABEL= name a device through blkid; a path stays as it is.
    static func resolve(_ specification: String) -> String? {
        guard let equals = specification.firstIndex(of: "="),
            ["UUID", "LABEL", "PARTUUID", "PARTLABEL"].contains(String(specification[..<equals]))
        else {
            return specification
        }
        guard let result = try? runCommand("blkid", ["-l", "-t", specification, "-o", "device"]), result.status == 0 else {
            return nil
        }
        let device = result.outputText.trimmingCharacters(in: .whitespacesAndNewlines)
        return device.isEmpty ? nil : device
    }

    /// Bash statements giving modules these as dracut's arrays.
    var declarations: String {
        let table = ShellValue.associative(filesystemTypes).declaration(of: "host_fs_types")
        return table + "\n" + ShellValue.array(devices).declaration(of: "host_devs") + "\n"
            + ShellValue.array(userDevices).declaration(of: "user_devs")
    }

    /// The image's /etc/fstab lines for `--mount`: dracut fills in options, dump and pass.
    static func fstabLines(_ mountLines: [String]) throws -> [String] {
        try mountLines.compactMap { line in
            var fields = line.split(whereSeparator: \.isWhitespace).map(String.init)
            guard !fields.isEmpty else { return nil }
            if fields.count == 1 {
                // Only a mount point: take the rest from the running system.
                let found = try runCommand("findmnt", ["--raw", "-n", "--target", fields[0], "--output=source,target,fstype,options"])
                fields = found.outputText.split(whereSeparator: \.isWhitespace).map(String.init)
                guard fields.count >= 4 else { throw BuildFailure("\(line) is not a mount point") }
            }
            while fields.count < 3 { fields.append("") }
            if fields.count < 4 { fields.append("defaults") }
            if fields.count < 5 { fields.append("0") }
            if fields.count < 6 { fields.append(fields[2].contains("nfs") ? "0" : "2") }
            return fields.joined(separator: " ")
        }
    }
}
