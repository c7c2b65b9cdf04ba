import Foundation

/// Where Kindling's own files are: the shim and the modules.d it ships.
public struct DataDirectory: Sendable {
    public var shim: String
    public var modules: String

    public init(shim: String, modules: String) {
        self.shim = shim
        self.modules = modules
    }

    /// $KINDLING_DATADIR; else the directory of the real executable, which the install layout makes
    /// LIBDIR/kindling (BINDIR/kindling is a relative symbolic link to it, so any BINDIR and LIBDIR
    /// work and DESTDIR trees stay relocatable); else, for a SwiftPM build product under .build*,
    /// the checkout it was built in. An installed binary never looks at a checkout.
    public static func locate(executable: String, environment: [String: String]) -> DataDirectory? {
        if let explicit = environment["KINDLING_DATADIR"] {
            return DataDirectory(shim: explicit + "/kindling-shim.bash", modules: explicit + "/modules.d")
        }
        let resolved =
            realpath(executable, nil).map { pointer in
                defer { free(pointer) }
                return String(cString: pointer)
            } ?? executable
        var directory = (resolved as NSString).deletingLastPathComponent
        if let installed = DataDirectory(holdingFilesIn: directory, shim: "kindling-shim.bash") { return installed }
        guard resolved.split(separator: "/").contains(where: { $0.hasPrefix(".build") }) else { return nil }
        while directory != "/" && !directory.isEmpty {
            if FileManager.default.fileExists(atPath: directory + "/Package.swift"),
                let checkout = DataDirectory(holdingFilesIn: directory, shim: "shim/kindling-shim.bash")
            {
                return checkout
            }
            directory = (directory as NSString).deletingLastPathComponent
        }
        return nil
    }

    private init?(holdingFilesIn directory: String, shim: String) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory + "/" + shim),
            FileManager.default.fileExists(atPath: directory + "/modules.d", isDirectory: &isDirectory),
            isDirectory.boolValue
        else { return nil }
        self.init(shim: directory + "/" + shim, modules: directory + "/modules.d")
    }
}
