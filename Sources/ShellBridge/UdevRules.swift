#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Installer
import Support

/// inst_rules and its parts: udev rules with the programs they run and the users and groups they name.
struct UdevRules {
    unowned let helpers: DracutHelpers
    private static let target = "/etc/udev/rules.d"

    private var installer: FileInstaller { helpers.installer }
    private var context: HelperContext { helpers.context }

    func install(_ rules: [String], hostonly: Bool) throws -> HelperReply {
        try installer.installDirectory(context.udevDirectory + "/rules.d")
        try installer.installDirectory(Self.target)
        for rule in rules {
            var found = false
            if !rule.hasPrefix("/") {
                var directories = [context.udevDirectory + "/rules.d"]
                if hostonly { directories.insert(Self.target, at: context.followsDracutNG ? 0 : 1) }
                for directory in directories where try installer.sysrootContains(directory + "/" + rule) {
                    let path = directory + "/" + rule
                    try installParts(ofRule: context.sysroot + path)
                    try installer.install(path)
                    found = true
                }
            }
            for candidate in [rule, context.dracutBaseDirectory + "/rules.d/" + rule] where candidate.hasPrefix("/") {
                guard isRegularFile(candidate) else { continue }
                try installParts(ofRule: candidate)
                let destination = Self.target + "/" + (candidate as NSString).lastPathComponent
                if !installer.imageContains(destination) { try helpers.copyHostFile(candidate, to: destination) }
                found = true
            }
            if !found { helpers.log(context.followsDracutNG ? .debug : .info, "Skipping udev rule: \(rule)") }
        }
        return .success
    }

    func installWildcard(_ pattern: String) throws -> HelperReply {
        try installer.installDirectory(context.udevDirectory + "/rules.d")
        try installer.installDirectory(Self.target)
        for directory in [context.udevDirectory + "/rules.d", context.dracutBaseDirectory + "/rules.d"] {
            for path in hostGlob(directory + "/" + pattern) {
                try installParts(ofRule: path)
                if !installer.imageContains(path) { try helpers.copyHostFile(path, to: path) }
            }
        }
        return .success
    }

    private func installParts(ofRule path: String) throws {
        _ = try installPrograms(ofRule: path)
        _ = try installGroupsAndOwners(ofRule: path)
        _ = try markInitqueue(ifRuleNeeds: path)
    }

    /// Programs named by PROGRAM=, RUN+= and IMPORT{program}=, from udev's directory or the path.
    func installPrograms(ofRule path: String) throws -> HelperReply {
        let lines = readLines(path)
        let kinds: [(key: String, optionalEquals: Bool, skipsInitqueue: Bool)] = [
            ("PROGRAM=", true, false), ("RUN", false, true), ("IMPORT{program}=", true, false),
        ]
        for kind in kinds {
            for program in lines.compactMap({ Self.lastValue(in: $0, key: kind.key, runStyle: kind.key == "RUN") }) {
                var binary: String?
                let inUdev = context.udevDirectory + "/" + program
                if access(context.sysroot + inUdev, X_OK) == 0 {
                    binary = inUdev
                } else if !program.containsBytes(of: "$env{"), !(kind.skipsInitqueue && program == "/sbin/initqueue") {
                    guard let found = helpers.findBinary(program) else {
                        helpers.log(
                            .info, "Skipping program \(program) using in udev rule \((path as NSString).lastPathComponent) as it cannot be found")
                        continue
                    }
                    binary = found
                }
                if let binary { try installer.install(binary, resolvingDependencies: true) }
            }
        }
        return .success
    }

    /// The value of the last `KEY"value"` on a line, as `sed 's/.*KEY"\([^ "]*\).*/'` gives it.
    /// RUN accepts `RUN+=`, `RUN=`, `RUN==` and `RUN+==`; the others `KEY=` and `KEY==`.
    static func lastValue(in line: Substring, key: String, runStyle: Bool) -> String? {
        // Most lines lack the key: one byte search rejects them before the search by characters
        // (the key is ASCII, so a line without its bytes cannot hold it as characters either).
        guard line.containsBytes(of: key) else { return nil }
        var result: String?
        var searchStart = line.startIndex
        while let range = line[searchStart...].firstRange(of: key) {
            var cursor = range.upperBound
            if runStyle {
                guard cursor < line.endIndex, line[cursor] == "+" || line[cursor] == "=" else {
                    searchStart = range.upperBound; continue
                }
                cursor = line.index(after: cursor)
            }
            if cursor < line.endIndex, line[cursor] == "=" { cursor = line.index(after: cursor) }
            if cursor < line.endIndex, line[cursor] == "\"" {
                let valueStart = line.index(after: cursor)
                let value = line[valueStart...].prefix { $0 != " " && $0 != "\"" }
                if !value.isEmpty { result = String(value) }
            }
            searchStart = range.upperBound
        }
        return result
    }

    /// Copies the passwd and group lines of the OWNER= and GROUP= names a rule uses.
    func installGroupsAndOwners(ofRule path: String) throws -> HelperReply {
        let lines = readLines(path)
        for (key, file) in [("OWNER=", "/etc/passwd"), ("GROUP=", "/etc/group")] {
            for name in lines.compactMap({ Self.lastValue(in: $0, key: key, runStyle: false) }) {
                let imageFile = try installer.imageFilePath(file)
                let existing = readLines(imageFile)
                guard !existing.contains(where: { $0.hasPrefix(name + ":") }) else { continue }
                let matches = readLines(context.sysroot + file).filter { $0.hasPrefix(name + ":") }
                guard !matches.isEmpty else { continue }
                try append(matches.map { $0 + "\n" }.joined(), to: file)
            }
        }
        return .success
    }

    func markInitqueue(ifRuleNeeds path: String) throws -> HelperReply {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), text.containsBytes(of: "initqueue") else { return .success }
        try installer.installDirectory("/lib/dracut")
        _ = replaceFile(try installer.imageFilePath("/lib/dracut/need-initqueue"), with: [])
        return .success
    }

    /// prepare_udev_rules: rewrites legacy `IMPORT PATH_ID` and `IMPORT BLKID` line endings for this udev.
    func rewriteLegacyImports(_ names: [String]) throws -> HelperReply {
        guard let version = Self.udevVersion else {
            helpers.log(.error, "Failed to detect udev version!")
            return .failure
        }
        for name in names {
            let path = try installer.imageFilePath(Self.target + "/" + name)
            guard FileManager.default.fileExists(atPath: path) else { continue }
            var output = ""
            for rawLine in readLines(path) {
                // `read -r line` trims the blanks at both ends, so dracut's output does too.
                let line = rawLine.trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
                if line.hasSuffix("IMPORT PATH_ID") {
                    output +=
                        line.dropLast("IMPORT PATH_ID".count)
                        + (version >= 174 ? "IMPORT{builtin}=\"path_id\"" : "IMPORT{program}=\"path_id %p\"") + "\n"
                } else if line.hasSuffix("IMPORT BLKID") {
                    output +=
                        line.dropLast("IMPORT BLKID".count)
                        + (version >= 176 ? "IMPORT{builtin}=\"blkid\"" : "IMPORT{program}=\"/sbin/blkid -o udev -p $tempnode\"") + "\n"
                } else {
                    output += line + "\n"
                }
            }
            guard replaceFile(path, with: Array(output.utf8), mode: 0o644) else {
                throw InstallError.system(path: path, operation: "rewrite", message: systemErrorDescription())
            }
        }
        return .success
    }

    /// `udevadm --version`, asked once per process.
    private static let udevVersion: Int? = {
        guard let answer = HostAnswers.shared.answer(.udevVersion), answer.status == 0 else { return nil }
        return Int(String(decoding: answer.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }()

    private func readLines(_ path: String) -> [Substring] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let text = String(decoding: data, as: UTF8.self)
        // Split at newline bytes, as bash's `read` does: a Character split is far slower, and
        // would keep a CRLF line whole.
        var lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Substring($0) }
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    private func append(_ text: String, to file: String) throws {
        try installer.installDirectory((file as NSString).deletingLastPathComponent)
        let path = try installer.imageFilePath(file)
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw InstallError.system(path: path, operation: "append to", message: systemErrorDescription()) }
        defer { close(fd) }
        writeAll(fd: fd, Array(text.utf8))
    }

    private func isRegularFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFREG
    }

    private func hostGlob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }
    }
}
