/// The kernel module lists of dracut's command line and configuration, installed after the modules.
public struct DriverOptions: Sendable, Equatable {
    /// -d/--drivers: `instmods` (missing ones only logged).
    public var drivers: [String]
    /// --add-drivers: `instmods -c`.
    public var addDrivers: [String]
    /// --force-drivers: `instmods -c`, and loaded first at boot through rd.driver.pre=.
    public var forceDrivers: [String]
    /// --filesystems: `instmods -c`.
    public var filesystems: [String]
    /// --omit-drivers: never installed, unless also named in drivers, add_drivers or force_drivers.
    public var omitDrivers: [String]

    public init(
        drivers: [String] = [], addDrivers: [String] = [], forceDrivers: [String] = [],
        filesystems: [String] = [], omitDrivers: [String] = []
    ) {
        self.drivers = drivers.map(Self.underscored)
        self.addDrivers = addDrivers.map(Self.underscored)
        self.forceDrivers = forceDrivers.map(Self.underscored)
        self.filesystems = filesystems
        self.omitDrivers = omitDrivers.map(Self.underscored)
    }

    /// dracut's $omit_drivers regex: `^name$` alternatives, leaving out names that another list asks for.
    public var omitPattern: String {
        let wanted = Set(drivers + addDrivers + forceDrivers)
        return omitDrivers.filter { !wanted.contains($0) }.map { "^\($0)$" }.joined(separator: "|")
    }

    /// Module names use underscores; dracut rewrites its lists the same way.
    private static func underscored(_ name: String) -> String {
        String(name.map { $0 == "-" ? "_" : $0 })
    }
}
