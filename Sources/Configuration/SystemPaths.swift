import Foundation

/// Reads variables from pkg-config .pc files without running pkg-config, as dracut's path
/// defaults need a few dozen of them.
struct PkgConfigFiles {
    static let searchPath = [
        "/usr/lib/x86_64-linux-gnu/pkgconfig", "/usr/lib/pkgconfig", "/usr/share/pkgconfig",
        "/usr/local/lib/pkgconfig", "/usr/local/share/pkgconfig",
    ]
    private var cache: [String: [String: String]] = [:]

    mutating func variable(_ name: String, of package: String) -> String? {
        if cache[package] == nil { cache[package] = Self.load(package) }
        guard let definitions = cache[package], let raw = definitions[name] else { return nil }
        return Self.expand(raw, definitions, depth: 0)
    }

    private static func load(_ package: String) -> [String: String] {
        for directory in searchPath {
            guard let text = try? String(contentsOfFile: "\(directory)/\(package).pc", encoding: .utf8) else { continue }
            var definitions: [String: String] = [:]
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                guard let equals = line.firstIndex(of: "="), !line[..<equals].contains(":"),
                    !line[..<equals].contains(" ")
                else { continue }
                definitions[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
            return definitions
        }
        return [:]
    }

    private static func expand(_ value: String, _ definitions: [String: String], depth: Int) -> String {
        guard depth < 16, let start = value.range(of: "${"), let end = value[start.upperBound...].firstIndex(of: "}") else {
            return value
        }
        let name = String(value[start.upperBound..<end])
        let replaced = value.replacingCharacters(in: start.lowerBound...end, with: definitions[name] ?? "")
        return expand(replaced, definitions, depth: depth + 1)
    }
}

/// dracut's directory variables (systemdutildir, udevdir, ...): the config's value when that
/// directory exists in the sysroot, else pkg-config's, else a fixed fallback.
struct SystemPaths {
    /// (variable, pkg-config package, fallback); a fallback may name an earlier variable as ${name}.
    static let table: [(String, String, String)] = [
        ("systemdutildir", "systemd", "/lib/systemd"),
        ("systemdutilconfdir", "systemd", "/etc/systemd"),
        ("dbus", "dbus", "/usr/share/dbus-1"),
        ("dbusconfdir", "dbus", "/etc/dbus-1"),
        ("dbusinterfaces", "dbus", "${dbus}/interfaces"),
        ("dbusinterfacesconfdir", "dbus", "${dbusconfdir}/interfaces"),
        ("dbusservices", "dbus", "${dbus}/services"),
        ("dbusservicesconfdir", "dbus", "${dbusconfdir}/services"),
        ("dbussession", "dbus", "${dbus}/session.d"),
        ("dbussessionconfdir", "dbus", "${dbusconfdir}/session.d"),
        ("dbussystem", "dbus", "${dbus}/system.d"),
        ("dbussystemconfdir", "dbus", "${dbusconfdir}/system.d"),
        ("dbussystemservices", "dbus", "${dbus}/system-services"),
        ("dbussystemservicesconfdir", "dbus", "${dbusconfdir}/system-services"),
        ("udevdir", "udev", "/lib/udev"),
        ("udevconfdir", "udev", "/etc/udev"),
        ("udevrulesdir", "udev", "${udevdir}/rules.d"),
        ("udevrulesconfdir", "udev", "${udevconfdir}/rules.d"),
        ("sysctld", "systemd", "/usr/lib/sysctl.d"),
        ("sysctlconfdir", "systemd", "/etc/sysctl.d"),
        ("environment", "systemd", "/usr/lib/environment.d"),
        ("environmentconfdir", "systemd", "/etc/environment.d"),
        ("systemdcatalog", "systemd", "${systemdutildir}/catalog"),
        ("modulesload", "systemd", "/usr/lib/modules-load.d"),
        ("modulesloadconfdir", "systemd", "/etc/modules-load.d"),
        ("systemdnetwork", "systemd", "${systemdutildir}/network"),
        ("systemdnetworkconfdir", "systemd", "${systemdutilconfdir}/network"),
        ("systemdntpunits", "systemd", "${systemdutildir}/ntp-units.d"),
        ("systemdntpunitsconfdir", "systemd", "${systemdutilconfdir}/ntp-units.d"),
        ("systemdportable", "systemd", "${systemdutildir}/portable"),
        ("systemdportableconfdir", "systemd", "${systemdutilconfdir}/portable"),
        ("systemdsystemunitdir", "systemd", "${systemdutildir}/system"),
        ("systemduser", "systemd", "${systemdutildir}/user"),
        ("systemduserconfdir", "systemd", "${systemdutilconfdir}/user"),
        ("systemdsystemconfdir", "systemd", "/etc/systemd/system"),
        ("sysusers", "systemd", "/usr/lib/sysusers.d"),
        ("sysusersconfdir", "systemd", "/etc/sysusers.d"),
        ("tmpfilesdir", "systemd", "/usr/lib/tmpfiles.d"),
        ("tmpfilesconfdir", "systemd", "/etc/tmpfiles.d"),
        ("depmodd", "libkmod", "/usr/lib/depmod.d"),
        ("depmodconfdir", "libkmod", "/etc/depmod.d"),
    ]

    /// `skipping`: the names this build leaves as they are (dracut-ng sets the host's
    /// configuration directories only for hostonly builds, and dropped a few names).
    static func fill(_ variables: inout ShellVariables, sysroot: String, skipping: Set<String> = []) {
        var pkgConfig = PkgConfigFiles()
        func isDirectory(_ path: String?) -> Bool {
            guard let path, !path.isEmpty else { return false }
            var flag: ObjCBool = false
            return FileManager.default.fileExists(atPath: sysroot + path, isDirectory: &flag) && flag.boolValue
        }
        for (name, package, fallback) in table where !skipping.contains(name) {
            if isDirectory(variables[name]) { continue }
            let fromPackage = pkgConfig.variable(name, of: package)
            if isDirectory(fromPackage) {
                variables[name] = fromPackage
                continue
            }
            variables[name] = special(name, sysroot: sysroot) ?? expand(fallback, variables)
        }
    }

    /// The few defaults that dracut derives from what the sysroot holds.
    private static func special(_ name: String, sysroot: String) -> String? {
        let exists = { (path: String) in FileManager.default.fileExists(atPath: sysroot + path) }
        switch name {
        case "systemdutildir":
            if exists("/usr/lib/systemd/systemd-udevd") { return "/usr/lib/systemd" }
            if exists("/lib/systemd/systemd-udevd") { return "/lib/systemd" }
        case "udevdir":
            if exists("/usr/lib/udev/ata_id") { return "/usr/lib/udev" }
            if exists("/lib/udev/ata_id") { return "/lib/udev" }
        case "tmpfilesdir":
            if exists("/usr/lib/tmpfiles.d") { return "/usr/lib/tmpfiles.d" }
            if exists("/lib/tmpfiles.d") { return "/lib/tmpfiles.d" }
        default: break
        }
        return nil
    }

    private static func expand(_ value: String, _ variables: ShellVariables) -> String {
        guard value.hasPrefix("${"), let end = value.firstIndex(of: "}") else { return value }
        let name = String(value[value.index(value.startIndex, offsetBy: 2)..<end])
        return (variables[name] ?? "") + value[value.index(after: end)...]
    }
}
