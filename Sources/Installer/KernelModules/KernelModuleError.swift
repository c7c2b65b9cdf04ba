/// Why a kernel module, its firmware or the module index could not be used. Each case names the
/// module or file, in one line.
public enum KernelModuleError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The module directory (dracut's $srcmods) is missing.
    case missingModuleDirectory(String)
    /// The module directory has modules but no modules.dep: depmod has not run.
    case missingDependencyIndex(String)
    /// --kmoddir does not fit the kernel version or the /lib/modules layout (dracut's checks).
    case unsuitableModuleDirectory(String)
    /// libkmod could not start on the module directory.
    case contextUnavailable(directory: String, message: String)
    /// modules.dep or a binary index is malformed, truncated, or out of step with the module files.
    case corruptIndex(path: String, message: String)
    /// A lookup failed inside libkmod: the index files are unreadable or corrupt.
    case unreadableIndex(directory: String, module: String, message: String)
    /// No module, alias or builtin has that name.
    case notFound(String)
    /// A module that the index names has no file and is not built in.
    case missingFile(module: String, path: String?)
    /// The .ko file could not be parsed (truncated, corrupt, or compressed in an unsupported way).
    case unreadableModule(path: String, message: String)
    /// A module path the index gave is not under the module directory, so it has no place in the image.
    case outsideModuleDirectory(path: String, directory: String)
    /// A path filter matched nothing, or a symbol filter rejected every module named.
    case filteredOut(String)
    /// A -p, -P, -s, -S or -N pattern is not a valid POSIX extended regular expression.
    case invalidPattern(pattern: String, message: String)
    /// A dracut_instmods option that Kindling does not know, or one missing its value.
    case invalidOption(String)
    /// Copying a module or firmware file into the image failed.
    case copyFailed(path: String, message: String)
    /// depmod -a -b IMAGE KVER failed.
    case depmodFailed(status: Int32, message: String)

    /// The exit status dracut-install -m gives for the failure, which instmods -c and
    /// dracut_instmods return: 1 when filters rejected the modules named or an option is wrong,
    /// 254 (-ENOENT) for everything else.
    public var dracutInstallStatus: Int32 {
        switch self {
        case .filteredOut, .invalidOption, .invalidPattern: return 1
        default: return Self.notFoundStatus
        }
    }

    /// dracut-install's status for a module it cannot find or install: -ENOENT as an exit status.
    public static let notFoundStatus: Int32 = 254

    public var description: String {
        switch self {
        case .missingModuleDirectory(let directory):
            return "cannot find module directory \(directory) (and --no-kernel was not given)"
        case .missingDependencyIndex(let directory):
            return "\(directory)/modules.dep is missing. Did you run depmod?"
        case .unsuitableModuleDirectory(let message):
            return message
        case .contextUnavailable(let directory, let message):
            return "\(directory): cannot open the kernel module index: \(message)"
        case .corruptIndex(let path, let message):
            return "\(path): corrupt module index: \(message); run depmod"
        case .unreadableIndex(let directory, let module, let message):
            return "cannot look up kernel module '\(module)': the index in \(directory) is unreadable (\(message)); run depmod"
        case .notFound(let name):
            return "kernel module '\(name)' not found"
        case .missingFile(let module, let path?):
            return "kernel module '\(module)': \(path) does not exist (modules.dep is stale or corrupt)"
        case .missingFile(let module, nil):
            return "kernel module '\(module)' has no file and is not built in"
        case .unreadableModule(let path, let message):
            return "\(path): not a readable kernel module (\(message))"
        case .outsideModuleDirectory(let path, let directory):
            return "\(path): kernel module outside the module directory \(directory)"
        case .filteredOut(let argument):
            return "kernel module '\(argument)': no module matched the path and symbol filters"
        case .invalidPattern(let pattern, let message):
            return "invalid regular expression '\(pattern)': \(message)"
        case .invalidOption(let message):
            return message
        case .copyFailed(let path, let message):
            return "\(path): cannot copy into the image: \(message)"
        case .depmodFailed(let status, let message):
            return "\"depmod -a\" failed with status \(status)\(message.isEmpty ? "" : ": " + message)"
        }
    }
}
