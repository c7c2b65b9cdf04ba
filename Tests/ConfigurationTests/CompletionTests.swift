import Foundation
import XCTest
@testable import Configuration

/// The bash completions must offer every option the commands have, and must know which options
/// take a value (or they would count the value as an operand). They run in a real bash, with
/// `set -u`, as bash runs them: COMP_WORDS and COMP_CWORD set, the function called.
final class CompletionTests: XCTestCase {
    static let kindlingCompletion = "completion/kindling"
    static let lsinitrdCompletion = "completion/kindling-lsinitrd"

    /// What FUNCTION of the completion FILE replies for the command line WORDS (the last one is
    /// the word under the cursor).
    static func replies(_ file: String, _ function: String, _ words: [String], environment: [String: String] = [:]) throws -> [String] {
        let script = """
            set -u
            . "$1" || exit 90
            shift 2
            COMP_WORDS=("$@")
            COMP_CWORD=$(($# - 1))
            \(function) || exit 91
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let result = try runBash(
            script, arguments: [ManualPageTests.checkout.appendingPathComponent(file).path, "--"] + words,
            environment: environment)
        XCTAssertEqual(result.status, 0, "\(function) \(words): \(result.errors)")
        XCTAssertEqual(result.errors, "", "\(function) \(words) wrote to standard error")
        return result.output.split(separator: "\n").map(String.init)
    }

    static func runBash(_ script: String, arguments: [String], environment: [String: String] = [:]) throws
        -> (status: Int32, output: String, errors: String)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["--noprofile", "--norc", "-c", script, "completion-test"] + arguments
        // No kindling on PATH: the completion must fall back to what it can find itself.
        process.environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"].merging(environment) { $1 }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outputData, as: UTF8.self), String(decoding: errorData, as: UTF8.self))
    }

    func testEveryKindlingOptionIsOffered() throws {
        let offered = Set(try Self.replies(Self.kindlingCompletion, "_kindling", ["kindling", "-"]))
        for option in OptionTable.all {
            for name in ManualPageTests.names(of: option) {
                XCTAssertTrue(offered.contains(name), "completion/kindling does not offer \(name)")
            }
        }
    }

    func testCompletionKnowsWhichOptionsTakeAValue() throws {
        let script = """
            . "$1" || exit 90
            shift
            for word in "$@"; do
                if _kindling_takes_value "$word"; then echo "$word value"; else echo "$word flag"; fi
            done
            """
        var names: [String] = []
        var expected: [String] = []
        // -i/--include takes two values and is counted on its own.
        for option in OptionTable.all where option.longNames != ["include"] {
            for name in ManualPageTests.names(of: option) {
                names.append(name)
                expected.append("\(name) \(option.takesValue ? "value" : "flag")")
            }
        }
        let result = try Self.runBash(script, arguments: [ManualPageTests.checkout.appendingPathComponent(Self.kindlingCompletion).path] + names)
        XCTAssertEqual(result.status, 0, result.errors)
        let answers = result.output.split(separator: "\n").map(String.init)
        for (answer, wanted) in zip(answers, expected) where answer != wanted {
            XCTFail("completion/kindling: got '\(answer)', want '\(wanted)'")
        }
        XCTAssertEqual(answers.count, expected.count)
    }

    func testValuesAreCompletedFromTheirOwnLists() throws {
        XCTAssertEqual(try Self.replies(Self.kindlingCompletion, "_kindling", ["kindling", "--compress", "z"]), ["zstd"])
        XCTAssertEqual(try Self.replies(Self.kindlingCompletion, "_kindling", ["kindling", "--compress=z"]), ["--compress=zstd"])
        XCTAssertEqual(try Self.replies(Self.kindlingCompletion, "_kindling", ["kindling", "--compress", "=", "x"]), ["xz"])
        XCTAssertEqual(try Self.replies(Self.kindlingCompletion, "_kindling", ["kindling", "--hostonly-mode", ""]), ["sloppy", "strict"])
        XCTAssertEqual(try Self.replies(Self.kindlingCompletion, "_kindling", ["kindling", "--comp"]), ["--compress", "--compress-level"])
    }

    /// Module names come from modules.d directories when kindling is not on PATH; a quoted list
    /// completes its last name.
    func testModuleNamesComeFromTheModuleDirectories() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("kindling-completion-\(getpid())")
        defer { try? FileManager.default.removeItem(at: data) }
        for module in ["05busybox", "99kdumpbase", "90kdump-storage"] {
            try FileManager.default.createDirectory(at: data.appendingPathComponent("modules.d/\(module)"), withIntermediateDirectories: true)
        }
        let environment = ["KINDLING_DATADIR": data.path]
        let kdump = try Self.replies(Self.kindlingCompletion, "_kindling", ["kindling", "-m", "kdump"], environment: environment)
        XCTAssertEqual(Set(kdump), ["kdumpbase", "kdump-storage"])
        let list = try Self.replies(Self.kindlingCompletion, "_kindling", ["kindling", "--add", "busybox kdumpb"], environment: environment)
        XCTAssertEqual(list, ["busybox kdumpbase"])
    }

    /// Values of options are not operands: after `--kver X out.img` the image is given, so the next
    /// operand is a kernel version (none here: no /lib/modules entry starts with the prefix).
    func testOptionValuesAreNotCountedAsOperands() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kindling-operands-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let image = directory.appendingPathComponent("image-to-find.img").path
        FileManager.default.createFile(atPath: image, contents: Data())
        let prefix = directory.appendingPathComponent("image-to").path
        XCTAssertEqual(try Self.replies(Self.kindlingCompletion, "_kindling", ["kindling", "--compress", "xz", "-m", "base", prefix]), [image])
        XCTAssertEqual(try Self.replies(Self.kindlingCompletion, "_kindling", ["kindling", "-i", "a", "b", prefix]), [image])
        XCTAssertEqual(try Self.replies(Self.kindlingCompletion, "_kindling", ["kindling", "out.img", prefix]), [])
    }

    func testEveryLsinitrdOptionIsOffered() throws {
        let options = LsinitrdOptionSource(try ManualPageTests.read("Sources/kindling-lsinitrd/CommandLineOptions.swift"))
        XCTAssertFalse(options.longNames.isEmpty)
        let offered = Set(try Self.replies(Self.lsinitrdCompletion, "_kindling_lsinitrd", ["kindling-lsinitrd", "-"]))
        for name in options.longNames { XCTAssertTrue(offered.contains("--\(name)"), "completion/kindling-lsinitrd does not offer --\(name)") }
        for letter in options.shortLetters { XCTAssertTrue(offered.contains("-\(letter)"), "completion/kindling-lsinitrd does not offer -\(letter)") }
    }
}
