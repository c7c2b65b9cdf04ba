import Foundation
import Support
import XCTest

@testable import ShellBridge

/// What a hostile or unlucky module must not do to the bridge: hold it with a daemon, see the
/// engine's descriptors, make it quadratic with a huge line or field, or hijack it with functions
/// named after the builtins it uses.
final class BridgeRobustnessTests: ModuleShellTestCase {
    /// Runs `body` on a thread; false when it has not finished within `seconds` (it is left running).
    private func finishes(within seconds: Int, _ body: @escaping () -> Void) -> Bool {
        let done = DispatchSemaphore(value: 0)
        _ = Support.Thread {
            body()
            done.signal()
        }
        return done.wait(timeout: .now() + .seconds(seconds)) == .success
    }

    private func killDaemon(_ pidFile: String) {
        if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
            let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            kill(pid, SIGKILL)
        }
    }

    func testADaemonHoldingTheShellsDescriptorsDoesNotHoldTheEnd() throws {
        let pidFile = directory + "/daemon.pid"
        let module = try makeModule(
            "60daemon",
            """
            install() { setsid sleep 1000 >/dev/null 2>&1 </dev/null & echo $! >'\(pidFile)'; }
            """)
        defer { killDaemon(pidFile) }
        let shell = try session()
        XCTAssertEqual(
            try shell.call(
                module: "daemon", directory: module, function: "install", mode: .run,
                handler: RecordingHandler()
            ).status, 0)
        XCTAssertTrue(finishes(within: 10) { shell.terminate() }, "terminate() waits for the daemon")
    }

    /// A daemon that writes into the log pipe without pause: the pump must still see the stop.
    func testADaemonThatNeverStopsWritingDoesNotHoldTheEnd() throws {
        let pidFile = directory + "/daemon.pid"
        let module = try makeModule(
            "60chatty",
            """
            install() { setsid yes chatter </dev/null & echo $! >'\(pidFile)'; }
            """)
        defer { killDaemon(pidFile) }
        let shell = try session()
        _ = try shell.call(
            module: "chatty", directory: module, function: "install", mode: .run, handler: RecordingHandler())
        XCTAssertTrue(finishes(within: 10) { shell.terminate() }, "terminate() waits for the chatty daemon")
    }

    func testExitWithADaemonHoldingThePipesIsReported() throws {
        let pidFile = directory + "/daemon.pid"
        let module = try makeModule(
            "60daemon",
            """
            install() { setsid sleep 1000 >/dev/null 2>&1 </dev/null & echo $! >'\(pidFile)'; exit 3; }
            """)
        defer { killDaemon(pidFile) }
        let shell = try session()
        let outcome = Outcome()
        XCTAssertTrue(
            finishes(within: 10) {
                do {
                    _ = try shell.call(
                        module: "daemon", directory: module, function: "install", mode: .run,
                        handler: RecordingHandler())
                    outcome.text = "returned"
                } catch {
                    outcome.text = "\(error)"
                }
            }, "the call waits for the daemon after the shell exited")
        XCTAssertEqual(outcome.text, "module 'daemon' ended the build: its shell exited with status 3 in install()")
    }

    /// A module's child sees the protocol's descriptors and the log pipe, nothing else the engine has open.
    func testNoEngineDescriptorReachesAModulesChild() throws {
        let listing = directory + "/fds"
        let module = try makeModule(
            "60lists",
            """
            install() {
                sleep 5 &
                # Until the child has run sleep: before its exec it is a copy of the shell, with
                # the shell's own close-on-exec descriptors (the script's fd 255) still open.
                local comm
                while read -r comm </proc/$!/comm && [[ $comm != sleep ]]; do :; done
                ls -l /proc/$!/fd >'\(listing)'
                kill $!
            }
            """)
        // Descriptors such as the engine holds while the shell runs: a pipe, an open file.
        let enginePipe = try makePipe()
        let engineFile = open(directory + "/module-like", O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        defer {
            close(enginePipe[0])
            close(enginePipe[1])
            close(engineFile)
        }
        let shell = try session()
        _ = try shell.call(
            module: "lists", directory: module, function: "install", mode: .run, handler: RecordingHandler())
        shell.terminate()
        var targets: [Int: String] = [:]
        for line in try String(contentsOfFile: listing, encoding: .utf8).split(separator: "\n")
        where line.hasPrefix("l") {
            let words = line.split(separator: " ")
            guard let arrow = words.firstIndex(of: "->"), let fd = Int(words[arrow - 1]) else { continue }
            targets[fd] = words[(arrow + 1)...].joined(separator: " ")
        }
        XCTAssertEqual(targets[0], "/dev/null")
        let unexpected = targets.filter { fd, target in
            // 0-2, the two protocol pipes, and the shim's copy of the log pipe (fd 1's pipe).
            ![0, 1, 2, 61, 62].contains(fd) && target != targets[1]
        }
        XCTAssertEqual(unexpected, [:], "descriptors that leaked into a module's child")
    }

    /// The shim calls builtins through `builtin` and commands through `builtin command`.
    func testFunctionsNamedAfterBuiltinsDoNotHijackTheProtocol() throws {
        let names = [
            "printf", "read", "echo", "local", "cat", "command", "[", "test", "eval", "exit", "return",
            "unset", "declare", "export", "shift", "type", "true", "false", "exec", "trap", "wait", "kill",
            "mapfile", "break", "continue", ".", ":", "ln", "mkdir", "readlink", "stat", "sed", "realpath",
        ]
        let overrides = names.map { "    \($0)() { sleep 1000; }" }.joined(separator: "\n")
        let module = try makeModule(
            "62overrides",
            """
            install() {
            \(overrides)
                inst_simple /etc/a "with space"
                dinfo "the log works"
                vercmp 1.2 lt 1.10 && inst_dir /ok-vercmp
                strstr "abc" "b" && inst_dir /ok-strstr
                [[ $(trim "  x  ") == x ]] && inst_dir /ok-trim
                [[ $(convert_abs_rel /a/b/c /a/d) == ../d ]] && inst_dir /ok-convert
                [[ $(shorten_persistent_dev /dev/disk/by-uuid/u) == UUID=u ]] && inst_dir /ok-shorten
                [[ $(expand_persistent_dev /dev/sda) == /dev/sda ]] && inst_dir /ok-expand
                require_binaries sh
            }
            """)
        let handler = RecordingHandler()
        let shell = try session()
        let outcome = Outcome()
        XCTAssertTrue(
            finishes(within: 20) {
                do {
                    let first = try shell.call(
                        module: "overrides", directory: module, function: "install", mode: .run,
                        handler: handler)
                    // The functions stay defined (they are global): the next calls must work too.
                    let second = try shell.call(
                        module: "overrides", directory: module, function: "install", mode: .run,
                        handler: handler)
                    let evaluated = try shell.evaluate("for x in 1 2; do [[ $x == 1 ]] && builtin continue; done; x=7")
                    outcome.text = "\(first.status) \(second.status) \(evaluated.status)"
                } catch {
                    outcome.text = "\(error)"
                }
            }, "a function named after a builtin hijacked the protocol")
        XCTAssertEqual(outcome.text, "0 0 0")
        let calls = handler.requests.map { ([$0.helper] + $0.arguments).joined(separator: " ") }
        for expected in [
            "inst_simple /etc/a with space", "inst_dir /ok-vercmp", "inst_dir /ok-strstr", "inst_dir /ok-trim",
            "inst_dir /ok-convert", "inst_dir /ok-shorten", "inst_dir /ok-expand", "find_binary sh",
        ] {
            XCTAssertTrue(calls.contains(expected), "\(expected) in \(calls)")
        }
        shell.terminate()
    }
}

private final class Outcome: @unchecked Sendable {
    var text = ""
}

/// Line splitting and message decoding do a bounded amount of work per byte, whatever the chunks.
final class LinearSplittingTests: XCTestCase {
    func testALongLineInSmallChunksIsScannedOnceAndCut() {
        var splitter = LineSplitter(maximumLineLength: 1000)
        var lines: [String] = []
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 100)
        for _ in 0..<40_000 { splitter.append(chunk) { lines.append($0) } }  // 4 MB, no newline yet
        splitter.append(Array("\nnext\ntail".utf8)) { lines.append($0) }
        if let last = splitter.finish() { lines.append(last) }
        XCTAssertEqual(splitter.bytesScanned, 4_000_000 + 10, "every byte is looked at once")
        XCTAssertEqual(lines.count, 3)
        XCTAssertEqual(
            lines[0], String(repeating: "x", count: 1000) + " [kindling: 3999000 more bytes of this line not kept]")
        XCTAssertEqual(Array(lines.dropFirst()), ["next", "tail"])
    }

    func testManyLinesInOneChunkAreSplitInOnePass() {
        var splitter = LineSplitter()
        var count = 0
        let text = Array(String(repeating: "a line\n", count: 100_000).utf8)
        splitter.append(text) { _ in count += 1 }
        XCTAssertEqual(count, 100_000)
        XCTAssertEqual(splitter.bytesScanned, text.count)
        XCTAssertNil(splitter.finish())
    }

    func testAHugeFieldInSmallChunksIsScannedOnce() throws {
        var decoder = ShellMessageDecoder()
        decoder.append(Array("LOG\u{0}2\u{0}4\u{0}".utf8))
        let chunk = [UInt8](repeating: UInt8(ascii: "y"), count: 100)
        for _ in 0..<20_000 {  // a 2 MB log line arriving 100 bytes at a time
            decoder.append(chunk)
            XCTAssertNil(try decoder.nextMessage())
        }
        decoder.append([0] + Array("DONE\u{0}2\u{0}0\u{0}\u{0}".utf8))
        XCTAssertEqual(try decoder.nextMessage(), .log(level: 4, line: String(repeating: "y", count: 2_000_000)))
        XCTAssertEqual(try decoder.nextMessage(), .done(status: 0, output: ""))
        XCTAssertNil(try decoder.nextMessage())
        XCTAssertLessThanOrEqual(decoder.bytesScanned, 2_000_000 + 30, "each byte is searched once")
    }
}
