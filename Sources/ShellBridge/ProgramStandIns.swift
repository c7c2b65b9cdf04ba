#if canImport(Glibc)
import Glibc
#endif
import Installer
import Support

/// A program that module code ran in the module shell (`grep '^adm:' /etc/group`), sent to the
/// engine instead of started. Module code runs dozens of such programs per build, and each start
/// costs 1.5–2.5 ms on the test machine (glibc asks the processor for its caches at every start,
/// a slow instruction in a virtual machine): for a small image, most of the module phase.
public struct ProgramCall: Equatable, Sendable {
    public var program: String
    public var arguments: [String]
    /// The shell process that made the call (`$BASHPID`), whose umask and standard output count.
    public var caller: pid_t
    /// The caller's PATH, where the shell would look for the program.
    public var searchPath: String

    public init(program: String, arguments: [String], caller: pid_t, searchPath: String) {
        self.program = program
        self.arguments = arguments
        self.caller = caller
        self.searchPath = searchPath
    }

    /// Whether the program the shell would run is the host's own, in /usr/bin or /bin (whose
    /// behaviour the stand-ins follow), not one of the same name earlier in PATH.
    var runsHostProgram: Bool {
        for directory in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            // An empty entry is the working directory, which the engine does not share.
            guard directory.hasPrefix("/") else { return false }
            var status = stat()
            let path = "\(directory)/\(program)"
            guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG, access(path, X_OK) == 0 else {
                continue
            }
            return directory == "/usr/bin" || directory == "/bin"
        }
        return false
    }
}

/// What a stand-in did: the program's exit status and what it printed on standard output.
public struct ProgramResult: Equatable, Sendable {
    public var status: Int32
    public var output: [UInt8]

    public init(status: Int32 = 0, output: [UInt8] = []) {
        self.status = status
        self.output = output
    }

    static let success = ProgramResult()
}

/// The engine's stand-ins for a few programs module code runs most. A stand-in takes a call only
/// in a plain form that it carries out exactly as the program would, printing nothing on standard
/// error; for any other form, and wherever the program would print an error or a warning, it
/// declines (nil) before it has changed anything, and the shell runs the program itself, which
/// then says what the program says. So a module sees the same files, output and status either way.
public enum ProgramStandIns {
    /// The programs the shell sends to the engine. The shim defines a function for each, from
    /// the environment variable below, as it does for the helpers.
    public static let programs = ["chmod", "grep", "ln", "mkdir", "systemctl", "systemd-detect-virt", "uname"]
    public static let environmentVariable = "KINDLING_STAND_INS"

    /// The call's result, or nil: run the program.
    public static func run(_ call: ProgramCall) -> ProgramResult? {
        guard call.runsHostProgram else { return nil }
        let caller = CallerProcess(pid: call.caller)
        switch call.program {
        case "grep": return GrepStandIn(call.arguments)?.run(standardOutput: caller.standardOutput)
        case "ln": return FileStandIns.symlink(call.arguments)
        case "mkdir": return FileStandIns.makeDirectories(call.arguments, umask: caller.fileCreationMask)
        case "chmod": return FileStandIns.changeMode(call.arguments)
        case "systemctl": return SystemctlStandIn.run(call.arguments, umask: caller.fileCreationMask)
        case "uname": return unameOutput(call.arguments)
        case "systemd-detect-virt":
            // The program's own answer, asked once (and early) for the build.
            let question = HostAnswers.Question(call.program, call.arguments)
            guard [.container, .virtualMachine].contains(question), let answer = HostAnswers.shared.answer(question),
                !answer.wroteErrors
            else { return nil }
            return ProgramResult(status: answer.status, output: answer.output)
        default: return nil
        }
    }

    /// `uname` with one of -s, -n, -r, -v, -m, or none (-s).
    static func unameOutput(_ arguments: [String]) -> ProgramResult? {
        guard arguments.count <= 1 else { return nil }
        var names = utsname()
        guard Glibc.uname(&names) == 0 else { return nil }
        let field: String?
        switch arguments.first ?? "-s" {
        case "-s": field = withUnsafeBytes(of: names.sysname) { text(of: $0) }
        case "-n": field = withUnsafeBytes(of: names.nodename) { text(of: $0) }
        case "-r": field = withUnsafeBytes(of: names.release) { text(of: $0) }
        case "-v": field = withUnsafeBytes(of: names.version) { text(of: $0) }
        case "-m": field = withUnsafeBytes(of: names.machine) { text(of: $0) }
        default: field = nil
        }
        return field.map { ProgramResult(output: Array($0.utf8) + [0x0A]) }
    }

    private static func text(of field: UnsafeRawBufferPointer) -> String {
        PathBytes.string(field.prefix { $0 != 0 })
    }
}

/// The facts of the calling shell that a program would see as its own.
struct CallerProcess {
    let pid: pid_t

    /// The umask (`Umask:` in /proc/PID/status); nil when it cannot be read.
    var fileCreationMask: mode_t? {
        guard let status = regularFileBytes(atPath: "/proc/\(pid)/status") else { return nil }
        for line in status.split(separator: 0x0A) where line.starts(with: Array("Umask:".utf8)) {
            let digits = String(decoding: line.dropFirst(6), as: UTF8.self).trimming(" \t")
            return mode_t(digits, radix: 8)
        }
        return nil
    }

    /// What the caller's standard output is, for the program's check that it does not read the
    /// file it writes to.
    var standardOutput: StandardOutput {
        var status = stat()
        guard stat("/proc/\(pid)/fd/1", &status) == 0 else { return .unknown }
        guard status.st_mode & S_IFMT == S_IFREG else { return .notARegularFile }
        return .regularFile(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }
}

enum StandardOutput: Equatable {
    case regularFile(device: UInt64, inode: UInt64)
    case notARegularFile
    case unknown

    /// Whether the file `status` describes is, or may be, this output.
    func mayBe(_ status: stat) -> Bool {
        switch self {
        case .regularFile(let device, let inode): return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
        case .notARegularFile: return false
        case .unknown: return true
        }
    }
}

extension StringProtocol {
    /// The text without any of `characters` at either end.
    func trimming(_ characters: String) -> String {
        let set = Set(characters)
        return String(drop(while: set.contains).reversed().drop(while: set.contains).reversed())
    }
}

/// Short options as GNU getopt reads them (clusters, a value attached or in the next argument,
/// options after operands, `--`); nil for a long option or a letter not in either set.
struct ShortOptions {
    private(set) var options: [(letter: Character, value: String?)] = []
    private(set) var operands: [String] = []

    init?(_ arguments: [String], flags: Set<Character>, valued: Set<Character> = []) {
        var index = 0
        var optionsEnded = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if optionsEnded || argument == "-" || !argument.hasPrefix("-") {
                operands.append(argument)
                continue
            }
            if argument == "--" {
                optionsEnded = true
                continue
            }
            if argument.hasPrefix("--") { return nil }
            var letters = Substring(argument.dropFirst())
            while let letter = letters.popFirst() {
                if flags.contains(letter) {
                    options.append((letter, nil))
                } else if valued.contains(letter) {
                    if letters.isEmpty {
                        guard index < arguments.count else { return nil }
                        options.append((letter, arguments[index]))
                        index += 1
                    } else {
                        options.append((letter, String(letters)))
                        letters = ""
                    }
                } else {
                    return nil
                }
            }
        }
    }

    func has(_ letter: Character) -> Bool {
        options.contains { $0.letter == letter }
    }
}
