import Foundation

/// Where Kindling's own files are: the shim and the modules.d it ships, and its own programs.
public struct DataDirectory: Sendable {
    public var shim: String
    public var modules: String
    /// The directory of the running executable's real path, where Kindling's own programs lie
    /// beside it (kindling-dmload, which kdumpbase puts in an LVM target's image): LIBDIR/kindling
    /// when installed, .build/CONFIG in a checkout. Modules see it as $KINDLING_PROGRAMS_DIR.
    public var programs: String?

    public init(shim: String, modules: String, programs: String? = nil) {
        self.shim = shim
        self.modules = modules
        self.programs = programs
    }

    /// $KINDLING_DATADIR; else the directory of the real executable, which the install layout makes
    /// LIBDIR/kindling (BINDIR/kindling is a relative symbolic link to it, so any BINDIR and LIBDIR
    /// work and DESTDIR trees stay relocatable); else, for a SwiftPM build product under .build*,
    /// the checkout it was built in. An installed binary never looks at a checkout.
    public static func locate(executable: String, environment: [String: String]) -> DataDirectory? {
        let resolved =
            realpath(executable, nil).map { pointer in
                defer { free(pointer) }
                return String(cString: pointer)
            } ?? executable
        let programs = (resolved as NSString).deletingLastPathComponent
        if let explicit = environment["KINDLING_DATADIR"] {
            return DataDirectory(
                shim: explicit + "/kindling-shim.bash", modules: explicit + "/modules.d", programs: programs)
        }
        var directory = programs
        if let installed = DataDirectory(holdingFilesIn: directory, shim: "kindling-shim.bash", programs: programs) {
            return installed
        }
        guard resolved.split(separator: "/").contains(where: { $0.hasPrefix(".build") }) else { return nil }
        while directory != "/" && !directory.isEmpty {
            if FileManager.default.fileExists(atPath: directory + "/Package.swift"),
                let checkout = DataDirectory(
                    holdingFilesIn: directory, shim: "shim/kindling-shim.bash", programs: programs)
            {
                return checkout
            }
            directory = (directory as NSString).deletingLastPathComponent
        }
        return nil
    }

    private init?(holdingFilesIn directory: String, shim: String, programs: String) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory + "/" + shim),
            FileManager.default.fileExists(atPath: directory + "/modules.d", isDirectory: &isDirectory),
            isDirectory.boolValue
        else { return nil }
        self.init(shim: directory + "/" + shim, modules: directory + "/modules.d", programs: programs)
    }
}
