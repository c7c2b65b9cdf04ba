import Foundation
import XCTest

/// `kindling-lsinitrd --help` prints its option table, read here from the source (the command is an
/// executable target, which tests cannot import): every option on one line with its summary.
final class LsinitrdHelpTests: XCTestCase {
    /// The built kindling-lsinitrd, which SwiftPM puts next to the test bundle.
    private func help() throws -> String {
        let testBinary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var directory = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("kindling-lsinitrd").path
            if FileManager.default.isExecutableFile(atPath: candidate) {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: candidate)
                process.arguments = ["--help"]
                let output = Pipe()
                process.standardOutput = output
                try process.run()
                let data = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                XCTAssertEqual(process.terminationStatus, 0)
                return String(decoding: data, as: UTF8.self)
            }
            directory.deleteLastPathComponent()
        }
        throw XCTSkip("kindling-lsinitrd has not been built next to the tests")
    }

    func testEveryOptionHasAOneLineSummary() throws {
        let options = try LsinitrdOptionSource.read()
        XCTAssertGreaterThanOrEqual(options.options.count, 8, "the table was not read from CommandLineOptions.swift")
        for option in options.options {
            XCTAssertFalse(option.summary.trimmingCharacters(in: .whitespaces).isEmpty, "--\(option.name) has no summary")
        }
    }

    func testHelpPrintsEveryOptionWithItsSummaryInOneColumn() throws {
        let lines = try help().split(separator: "\n").map(String.init)
        var columns: Set<Int> = []
        for option in try LsinitrdOptionSource.read().options {
            let synopsis = option.names.joined(separator: ", ") + (option.argument.map { " \($0)" } ?? "")
            guard let line = lines.first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(synopsis + " ") }) else {
                XCTFail("--help has no line for \(synopsis)")
                continue
            }
            XCTAssertTrue(line.hasSuffix("  " + option.summary), "--help does not describe --\(option.name): \(line)")
            columns.insert(line.count - option.summary.count)
            XCTAssertLessThanOrEqual(line.count, 100)
        }
        XCTAssertEqual(columns.count, 1, "the summaries do not start in one column")
    }
}
