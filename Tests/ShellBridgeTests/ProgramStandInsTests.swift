import Foundation
import XCTest
@testable import ShellBridge
import Support

/// Each stand-in against the program itself on the same input: wherever a stand-in takes a call,
/// the program prints nothing on standard error, and both give the same status, output and tree.
final class ProgramStandInsTests: XCTestCase {
    private var directory: String!
    private let environment = ["PATH": "/usr/bin:/bin", "LC_ALL": "C"]

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "kindling-stand-ins-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func call(_ program: String, _ arguments: [String]) -> ProgramResult? {
        ProgramStandIns.run(ProgramCall(program: program, arguments: arguments, caller: getpid(), searchPath: "/usr/bin:/bin"))
    }

    /// Runs the stand-in and the program; returns whether the stand-in took the call.
    @discardableResult
    private func compare(_ program: String, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Bool {
        let real = try runCommand("/usr/bin/" + program, arguments, environment: environment)
        guard let standIn = call(program, arguments) else { return false }
        let label = ([program] + arguments).joined(separator: " ")
        XCTAssertEqual(real.errorText, "", "the program warned, yet the stand-in took: \(label)", file: file, line: line)
        XCTAssertEqual(standIn.status, real.status, label, file: file, line: line)
        XCTAssertEqual(String(decoding: standIn.output, as: UTF8.self), real.outputText, label, file: file, line: line)
        return true
    }

    func testGrepMatchesTheProgramOnTheFormsItTakes() throws {
        let passwd = directory + "/passwd", group = directory + "/group", release = directory + "/os-release"
        let users = [
            "root:x:0:0:root:/root:/bin/bash", "adm:x:3:4:adm:/var/adm:/sbin/nologin", "messagebus:x:100:101::/:/bin/false",
            "dbus:x:81:81::/:/sbin/nologin", "Root:x:9:9::/:", "systemd-journal:x:190:190::/:",
        ]
        // The last line without its newline, which grep adds.
        try users.joined(separator: "\n").write(toFile: passwd, atomically: true, encoding: .utf8)
        try "root:x:0:\nwheel:x:10:\nadm:x:4:\n\nutmp:x:22:\ntape [x]:x:26:\n".write(toFile: group, atomically: true, encoding: .utf8)
        try "NAME=\"Debian GNU/Linux\"\nVERSION=\"12 (bookworm)\"\nPRETTY_NAME=\"Debian\"\nID=debian\n"
            .write(toFile: release, atomically: true, encoding: .utf8)
        let taken: [[String]] = [
            ["^root:", passwd], ["^root:", group], ["-q", "^tape", group], ["^nobody:", passwd],
            [#"^\(d\|message\)bus:"#, passwd], ["-E", "^(d|message)bus:", passwd], ["-hE", "-ve", "^VERSION=", "-ve", "^PRETTY_NAME", release],
            ["^adm:", passwd, group], ["-h", "^adm:", passwd, group], ["-H", "^adm:", passwd], ["-i", "^root:", passwd],
            ["-v", "x", group], ["-x", "root:x:0:", group], ["-xE", "root:x:[0-9]+:", group], ["-F", "[x]", group],
            ["-F", "-x", "adm:x:4:", group], ["-Fi", "ROOT", passwd], ["-e", "^adm", "-e", "^root", passwd],
            ["^$", group], ["wheel", group], ["nobody", passwd],
            ["[[:digit:]]:$", group], ["-s", "^utmp", group],
            ["a.*m", passwd], [#"\.bash$"#, passwd], ["^[^r]", group], ["-E", "(adm|root)+:", passwd], [#"x\+:"#, group],
            ["^root:", passwd, "-q"], ["--", "^root", passwd],
        ]
        for arguments in taken {
            XCTAssertTrue(try compare("grep", arguments), "declined: grep \(arguments)")
        }
        let declined: [[String]] = [
            ["-w", "adm", passwd], ["root"], ["-r", "root", directory], ["root", "-"], ["root", "passwd"],
            ["root", directory + "/missing"], ["root", directory], ["-E", "x{2}", passwd], [#"\<root"#, passwd],
            [#"\(a\)\1"#, passwd], ["*x", passwd], ["-E", "a||b", passwd], ["--count", "x", passwd], ["", passwd],
            [#"\/bin"#, passwd], ["-E", "+x", passwd], ["a$b", passwd], ["[[=a=]]", passwd], ["[z-a]", passwd],
        ]
        for arguments in declined {
            try compare("grep", arguments)
            XCTAssertNil(call("grep", arguments), "took: grep \(arguments)")
        }
    }

    /// grep calls a file with a NUL byte binary and says so; the stand-in leaves it to grep.
    func testGrepLeavesBinaryFilesToTheProgram() throws {
        let binary = directory + "/binary"
        try Data([0x72, 0x6F, 0x6F, 0x74, 0x0A, 0x00, 0x0A]).write(to: URL(fileURLWithPath: binary))
        XCTAssertNil(call("grep", ["root", binary]))
    }

    /// Two trees set up alike: the program runs in one, the stand-in in the other.
    private func compareTrees(
        _ program: String, _ arguments: (String) -> [String], setUp: (String) throws -> Void,
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> Bool {
        let real = directory + "/real-\(UUID().uuidString)", stood = directory + "/stood-\(UUID().uuidString)"
        for root in [real, stood] {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            try setUp(root)
        }
        let ran = try runCommand("/usr/bin/" + program, arguments(real), environment: environment)
        let before = treeListing(stood)
        guard let result = call(program, arguments(stood)) else {
            XCTAssertEqual(treeListing(stood), before, "declined after a change", file: file, line: line)
            return false
        }
        XCTAssertEqual(ran.errorText, "", "\(program) \(arguments(real))", file: file, line: line)
        XCTAssertEqual(result.status, ran.status, file: file, line: line)
        XCTAssertEqual(result.output, ran.standardOutput, file: file, line: line)
        XCTAssertEqual(treeListing(stood), treeListing(real), "\(program) \(arguments(real))", file: file, line: line)
        return true
    }

    func testLinksMatchTheProgram() throws {
        let setUp = { (root: String) throws in
            try FileManager.default.createDirectory(atPath: root + "/dir", withIntermediateDirectories: true)
            try "x".write(toFile: root + "/file", atomically: true, encoding: .utf8)
            try FileManager.default.createSymbolicLink(atPath: root + "/old", withDestinationPath: "file")
            try FileManager.default.createSymbolicLink(atPath: root + "/todir", withDestinationPath: "dir")
        }
        XCTAssertTrue(try compareTrees("ln", { ["-s", "bash", $0 + "/new"] }, setUp: setUp))
        XCTAssertTrue(try compareTrees("ln", { ["-sf", "bash", $0 + "/file"] }, setUp: setUp))
        XCTAssertTrue(try compareTrees("ln", { ["-fs", "/proc/self/mounts", $0 + "/old"] }, setUp: setUp))
        XCTAssertTrue(try compareTrees("ln", { ["-sfn", "elsewhere", $0 + "/todir"] }, setUp: setUp))
        XCTAssertTrue(try compareTrees("ln", { ["-s", "-f", "../x", $0 + "/dir/sub"] }, setUp: setUp))
        XCTAssertFalse(try compareTrees("ln", { ["-sf", "bash", $0 + "/todir"] }, setUp: setUp))
        XCTAssertFalse(try compareTrees("ln", { ["-sf", "bash", $0 + "/dir"] }, setUp: setUp))
        XCTAssertFalse(try compareTrees("ln", { ["-s", "bash", $0 + "/file"] }, setUp: setUp))
        XCTAssertFalse(try compareTrees("ln", { ["-s", "bash", $0 + "/missing/link"] }, setUp: setUp))
        XCTAssertFalse(try compareTrees("ln", { [$0 + "/file", $0 + "/hard"] }, setUp: setUp))
        XCTAssertFalse(try compareTrees("ln", { ["-sr", "file", $0 + "/rel"] }, setUp: setUp))
    }

    /// A name that is not UTF-8 is made with its own bytes, replaced or new.
    func testLinksKeepTheBytesOfNamesThatAreNotUTF8() throws {
        let name = PathBytes.string(Array("link-".utf8) + [0xE9])
        XCTAssertEqual(call("ln", ["-s", "first", directory + "/" + name]), .success)
        XCTAssertEqual(call("ln", ["-sf", "second", directory + "/" + name]), .success)
        XCTAssertEqual(readLink(directory + "/" + name), "second")
        // The entry's name is the one byte 0xE9, not the four of the character that carries it.
        var status = stat()
        let rawPath = (Array((directory + "/link-").utf8) + [0xE9, 0]).map { CChar(bitPattern: $0) }
        XCTAssertEqual(Glibc.lstat(rawPath, &status), 0)
        XCTAssertEqual(directoryEntries(directory)?.count, 1)
    }

    func testDirectoriesMatchTheProgram() throws {
        let setUp = { (root: String) throws in
            try FileManager.default.createDirectory(atPath: root + "/a", withIntermediateDirectories: true)
            try "x".write(toFile: root + "/file", atomically: true, encoding: .utf8)
        }
        XCTAssertTrue(try compareTrees("mkdir", { ["-p", $0 + "/a/b/c/d"] }, setUp: setUp))
        XCTAssertTrue(try compareTrees("mkdir", { ["-m", "0755", "-p", $0 + "/x/lib"] }, setUp: setUp))
        XCTAssertTrue(try compareTrees("mkdir", { ["-pm0700", $0 + "/y/z"] }, setUp: setUp))
        XCTAssertTrue(try compareTrees("mkdir", { ["-p", $0 + "/a", $0 + "/b/c"] }, setUp: setUp))
        XCTAssertTrue(try compareTrees("mkdir", { [$0 + "/new"] }, setUp: setUp))
        XCTAssertFalse(try compareTrees("mkdir", { [$0 + "/a"] }, setUp: setUp))
        XCTAssertFalse(try compareTrees("mkdir", { ["-p", $0 + "/file/sub"] }, setUp: setUp))
        XCTAssertFalse(try compareTrees("mkdir", { [$0 + "/q/r"] }, setUp: setUp))
        XCTAssertFalse(try compareTrees("mkdir", { ["-m", "4755", $0 + "/s"] }, setUp: setUp))
        XCTAssertFalse(try compareTrees("mkdir", { ["-m", "u=rwx", $0 + "/s"] }, setUp: setUp))
        XCTAssertFalse(try compareTrees("mkdir", { ["-p", $0 + "/a/../t"] }, setUp: setUp))
        XCTAssertNil(call("mkdir", ["-p", "relative/dir"]))
    }

    func testModesMatchTheProgram() throws {
        let setUp = { (root: String) throws in
            try FileManager.default.createDirectory(atPath: root + "/dir", withIntermediateDirectories: true)
            try "x".write(toFile: root + "/file", atomically: true, encoding: .utf8)
            try "y".write(toFile: root + "/other", atomically: true, encoding: .utf8)
            try FileManager.default.createSymbolicLink(atPath: root + "/link", withDestinationPath: "file")
        }
        XCTAssertTrue(try compareTrees("chmod", { ["444", $0 + "/file"] }, setUp: setUp))
        XCTAssertTrue(try compareTrees("chmod", { ["0755", $0 + "/file", $0 + "/other"] }, setUp: setUp))
        XCTAssertTrue(try compareTrees("chmod", { ["600", $0 + "/link"] }, setUp: setUp))
        XCTAssertFalse(try compareTrees("chmod", { ["755", $0 + "/dir"] }, setUp: setUp))
        XCTAssertFalse(try compareTrees("chmod", { ["u+x", $0 + "/file"] }, setUp: setUp))
        XCTAssertFalse(try compareTrees("chmod", { ["-R", "755", $0 + "/dir"] }, setUp: setUp))
        XCTAssertFalse(try compareTrees("chmod", { ["644", $0 + "/file", $0 + "/missing"] }, setUp: setUp))
    }

    func testUnameMatchesTheProgram() throws {
        for arguments in [[], ["-m"], ["-r"], ["-s"], ["-n"], ["-v"]] {
            XCTAssertTrue(try compare("uname", arguments), "declined: uname \(arguments)")
        }
        XCTAssertNil(call("uname", ["-a"]))
        XCTAssertNil(call("uname", ["-m", "-r"]))
    }

    /// A program of the same name earlier in PATH is what the shell would run: no stand-in.
    func testAProgramEarlierInPathIsLeftToRun() throws {
        try "#!/bin/sh\n".write(toFile: directory + "/uname", atomically: true, encoding: .utf8)
        chmod(directory + "/uname", 0o755)
        XCTAssertNil(ProgramStandIns.run(ProgramCall(program: "uname", arguments: [], caller: getpid(), searchPath: directory + ":/usr/bin")))
        XCTAssertNil(ProgramStandIns.run(ProgramCall(program: "uname", arguments: [], caller: getpid(), searchPath: ":/usr/bin")))
        XCTAssertNotNil(ProgramStandIns.run(ProgramCall(program: "uname", arguments: [], caller: getpid(), searchPath: "/nonexistent:/usr/bin")))
    }
}

/// Every entry under `root`: its relative path, type, permission bits and symlink target, sorted:
/// what the stand-in tests compare between the tree a program changed and the tree its stand-in did.
func treeListing(_ root: String) -> [String] {
    var lines: [String] = []
    let enumerator = FileManager.default.enumerator(atPath: root)
    while let relative = enumerator?.nextObject() as? String {
        var status = stat()
        XCTAssertEqual(lstat(root + "/" + relative, &status), 0)
        let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: root + "/" + relative)) ?? ""
        lines.append("\(relative) \(String(status.st_mode, radix: 8)) \(target)")
    }
    return lines.sorted()
}
