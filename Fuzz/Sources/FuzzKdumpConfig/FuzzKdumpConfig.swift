// kdumpbase's kdump.conf parser, which is bash (modules.d/99kdumpbase/module-setup.sh), driven
// through one long-lived bash (driver.bash, beside this file). Each input is a kdump.conf. What
// must hold besides "no hang" (libFuzzer's -timeout):
//   - the parser accepts (0) or ends the build (1) after logging why; bash itself never complains;
//   - nothing in the file is evaluated: no file appears in the sandbox's working directory
//     (the dictionary offers `touch canary` in every shell syntax);
//   - what it accepts, it writes as a kdump.conf that parses again to the same file;
//   - kdump-capture.sh's reader reads that file to the values the build parser had.
// libFuzzer sees no coverage inside bash, so the outcome of each input (the error classes, the
// directives written) is fed back as coverage of this file: see `noteOutcome`.
import FuzzKit
#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKdumpConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let driver = KdumpDriver.shared
    Scratch.write(bytes, to: "sysroot/etc/kdump.conf")
    let (first, second) = driver.round()
    let log = driver.text("out/first.log")
    let lines = log.split(separator: "\n", omittingEmptySubsequences: false).dropLast()

    fuzzCheck(driver.workingDirectoryEntries.isEmpty, "the configuration ran a command: \(driver.workingDirectoryEntries)")
    for line in lines {
        fuzzCheck(line.hasPrefix("ERROR: ") || line.hasPrefix("WARN: "), "bash complained: \(line)")
        noteOutcome(of: line)
    }
    switch first {
    case "1":
        fuzzCheck(lines.contains { $0.hasPrefix("ERROR: ") }, "exit 1 without an error")
    case "0":
        let written = driver.text("out/written")
        fuzzCheck(second == "0", "its own output is refused (exit \(second)):\n\(written)\n\(driver.text("out/second.log"))")
        fuzzCheck(driver.text("out/rewritten") == written, "written twice, two results:\n\(written)\n---\n\(driver.text("out/rewritten"))")
        let built = driver.text("out/build.values"), captured = driver.text("out/capture.values")
        fuzzCheck(built == captured, "the capture reads other values:\n\(built)---\n\(captured)")
        for line in written.split(separator: "\n") { noteOutcome(of: "written " + line) }
    default:
        fuzzFailure("the parser exited \(first):\n\(log)")
    }
    return 0
}

/// The bash behind the harness, its sandbox and the pipes to it. Glibc alone: Foundation's
/// file reading leaks a buffer now and then, which LeakSanitizer would report as this harness's.
final class KdumpDriver {
    nonisolated(unsafe) static let shared = KdumpDriver()

    let sandbox = Scratch.directory
    private var requests: Int32 = -1, answers: Int32 = -1

    private init() {
        // This file is Fuzz/Sources/FuzzKdumpConfig/FuzzKdumpConfig.swift in the repository.
        let source: String = #filePath
        let here = source.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        let repository = here.dropLast(3).joined(separator: "/")
        for directory in [
            "sysroot", "sysroot/etc", "sysroot/usr", "sysroot/usr/bin", "sysroot/usr/sbin", "sysroot/var",
            "sysroot/var/crash", "out", "work",
        ] {
            mkdir("\(sandbox)/\(directory)", 0o755)
        }
        for tool in ["usr/bin/makedumpfile", "usr/bin/cp", "usr/sbin/kdump-pre.sh", "usr/sbin/kdump-post.sh"] {
            chmod(Scratch.write(Array("#!/bin/sh\n".utf8), to: "sysroot/\(tool)"), 0o755)
        }
        Scratch.write(Array("not executable\n".utf8), to: "sysroot/usr/sbin/notes.txt")
        start(arguments: ["/bin/bash", "--noprofile", "--norc", here.joined(separator: "/") + "/driver.bash", repository, sandbox])
    }

    private func start(arguments: [String]) {
        var toBash: [Int32] = [0, 0], fromBash: [Int32] = [0, 0]
        guard pipe(&toBash) == 0, pipe(&fromBash) == 0 else { fuzzFailure("pipe: \(errno)") }
        // Only bash's ends cross over, as its standard input and output.
        for fd in toBash + fromBash { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, toBash[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromBash[1], 1)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        let settings = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"]
        var environment: [UnsafeMutablePointer<CChar>?] = settings.map { strdup($0) }
        argv.append(nil)
        environment.append(nil)
        var pid: pid_t = 0
        let status = posix_spawn(&pid, arguments[0], &actions, nil, argv, environment)
        guard status == 0 else { fuzzFailure("cannot start bash: \(status)") }
        (argv + environment).forEach { free($0) }
        posix_spawn_file_actions_destroy(&actions)
        close(toBash[0])
        close(fromBash[1])
        requests = toBash[1]
        answers = fromBash[0]
    }

    /// One round; the exit statuses of the first and second pass ("-": not run).
    func round() -> (String, String) {
        guard write(requests, "go\n", 3) == 3 else { fuzzFailure("the driver bash stopped reading") }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        // libFuzzer's timers interrupt the wait now and then (EINTR): that is no answer yet.
        while true {
            let count = read(answers, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            guard count == 1, byte != UInt8(ascii: "\n") else { break }
            line.append(byte)
        }
        let fields = String(decoding: line, as: UTF8.self).split(separator: " ").map(String.init)
        guard fields.count == 2 else { fuzzFailure("the driver bash stopped (answer '\(fields.joined(separator: " "))')") }
        return (fields[0], fields[1])
    }

    /// A sandbox file's text ("" when it is missing).
    func text(_ name: String) -> String {
        let fd = open("\(sandbox)/\(name)", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var bytes: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 65536)
        while case let count = read(fd, &buffer, buffer.count), count > 0 {
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// What appeared in bash's working directory, which the parser never writes to.
    var workingDirectoryEntries: [String] {
        guard let directory = opendir("\(sandbox)/work") else { return ["(unreadable)"] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

/// What an input led to, as the substrings of the parser's messages and written lines.
private let outcomes = [
    "is given twice", "needs a value", "only one dump target", "wants one device", "dump targets are not supported",
    "network dump targets", "shell syntax", "cannot find", "use reboot, halt, poweroff, shell", "use reboot, halt or poweroff",
    "old name of", "is not an executable", "is not applied", "deprecated", "unknown directive", "no dump target",
    "raw target needs makedumpfile", "dump_to_rootfs", "cannot split", "written raw", "written xfs", "written vfat",
    "written kdump_pre", "written kdump_post", "written kdump_emergency", "written rootfs",
]

/// One basic block per outcome, kept apart by @_optimize(none) (optimised, the switch becomes a
/// table lookup), so that libFuzzer's edge counters tell the outcomes, and how often each came, apart.
@_optimize(none)
private func noteOutcome(of line: Substring) {
    for (index, outcome) in outcomes.enumerated() where line.contains(outcome) {
        switch index {
        case 0: tally[0] &+= 1
        case 1: tally[1] &+= 1
        case 2: tally[2] &+= 1
        case 3: tally[3] &+= 1
        case 4: tally[4] &+= 1
        case 5: tally[5] &+= 1
        case 6: tally[6] &+= 1
        case 7: tally[7] &+= 1
        case 8: tally[8] &+= 1
        case 9: tally[9] &+= 1
        case 10: tally[10] &+= 1
        case 11: tally[11] &+= 1
        case 12: tally[12] &+= 1
        case 13: tally[13] &+= 1
        case 14: tally[14] &+= 1
        case 15: tally[15] &+= 1
        case 16: tally[16] &+= 1
        case 17: tally[17] &+= 1
        case 18: tally[18] &+= 1
        case 19: tally[19] &+= 1
        case 20: tally[20] &+= 1
        case 21: tally[21] &+= 1
        case 22: tally[22] &+= 1
        case 23: tally[23] &+= 1
        case 24: tally[24] &+= 1
        default: tally[25] &+= 1
        }
    }
}

nonisolated(unsafe) private var tally = [Int](repeating: 0, count: outcomes.count)
