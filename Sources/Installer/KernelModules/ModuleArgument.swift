/// One module argument of instmods or dracut-install -m.
enum ModuleArgument: Equatable {
    /// A module name or alias, with any .ko suffix removed.
    case name(String)
    /// An absolute path of a module file: it stands for the module of that name.
    case file(String)
    /// `=drivers/usb/storage`: every module under that directory of the module trees.
    case subdirectory(String)

    private static let moduleSuffixes = [".ko.zst", ".ko.xz", ".ko.gz", ".ko"]

    init(_ text: String) {
        if text.hasPrefix("/") {
            self = .file(text)
        } else if text.hasPrefix("=") {
            self = .subdirectory(String(text.dropFirst()))
        } else if let suffix = Self.moduleSuffixes.first(where: { text.hasSuffix($0) }) {
            self = .name(String(text.dropLast(suffix.count)))
        } else {
            self = .name(text)
        }
    }
}
