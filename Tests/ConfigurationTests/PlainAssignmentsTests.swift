import Foundation
import Support
import XCTest
@testable import Configuration

/// Config files of plain assignments are read without bash: every answer is compared with bash's.
final class PlainAssignmentsTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "kindling-plain-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: directory) }

    private func files(_ texts: [String]) throws -> [String] {
        try texts.enumerated().map { index, text in
            let path = "\(directory)/\(index).conf"
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            return path
        }
    }

    private let watched = ["hostonly", "compress", "add_dracutmodules"]

    private func bash(_ files: [String], presets: ShellVariables) throws -> (ShellVariables, [String: String]) {
        let answer = try ConfigEvaluator().readWithBash(
            files: files, presets: presets, watching: watched, logger: Logger(level: .fatal))
        return (answer.variables, answer.origins)
    }

    func testPlainFilesReadAsBashReadsThem() throws {
        let cases: [[String]] = [
            ["hostonly=\"yes\"\n"],
            ["# comment\n\n  \t\nadd_dracutmodules+=\" kdumpbase \"\nomit_dracutmodules=' hwdb rdma '\n"],
            ["dracutmodules=''\nadd_dracutmodules=' kdumpbase '\nomit_drivers+=' nouveau amdgpu '", "add_dracutmodules+=\" x \" # more\n"],
            ["compress=zstd\nhostonly=no   # trailing\n\tkernel_cmdline='rd.x=$1 `y` \\\\ z'\nfw_dir=/lib/firmware:/opt/fw,x@y%z+w-v\n"],
            ["empty=\nempty2=''\nempty3=\"\" \nempty4= # nothing\n", "empty+=x\nhostonly=yes\n", "hostonly=yes\n"],
            ["_private=1\nx1_=2\n#!/bin/bash\n   # indented comment\n"],
            [],
        ]
        var presets = ShellVariables()
        presets.set("dracutsysrootdir", .scalar(""))
        presets.set("kernel", .scalar("6.1.0"))
        presets.set("compress", .scalar("gzip"))
        for texts in cases {
            let paths = try files(texts)
            let plain = try XCTUnwrap(PlainAssignments.read(files: paths, presets: presets, watching: watched), "\(texts)")
            let reference = try bash(paths, presets: presets)
            XCTAssertEqual(plain.variables, reference.0, "\(texts)")
            XCTAssertEqual(plain.origins, reference.1, "\(texts)")
        }
    }

    func testAnythingElseGoesToBash() throws {
        let lines = [
            "a=$HOME", "a=\"$x\"", "a=\"`x`\"", "a=\"\\\"\"", "a=`id`", "a=$(id)", "a=(1 2)", "a+=(x)",
            "A=1", "aB=1", "_=1", "__kindling_x=1", "a =1", "a= b", "a=b c", "a=\"x\"y", "a='x''y'", "a=\"x\";",
            "a=~/x", "a=b*", "a=#x", "a='unclosed", "a=\"unclosed", "export a=1", "return", "exit 1", ". /etc/x",
            "a=1\r", "a=\"caf\u{E9}\"", "echo hi", "a=1 b=2", "a=[x]", "a={x,y}", "if true; then a=1; fi",
        ]
        for line in lines {
            XCTAssertNil(PlainAssignments(Array("ok=1\n\(line)\n".utf8)), line)
        }
        // The evaluator still reads them, through bash.
        let paths = try files(["x=1\na=\"$x-2\"\n"])
        let answer = try ConfigEvaluator().read(files: paths, presets: ShellVariables(), watching: [], logger: Logger(level: .fatal))
        XCTAssertEqual(answer.variables["a"], "1-2")
    }

    func testAnArrayIsLeftToBash() throws {
        let paths = try files(["list=one\nlist+=two\n"])
        var presets = ShellVariables()
        presets.set("list", .array(["a", "b"]))
        XCTAssertNil(PlainAssignments.read(files: paths, presets: presets, watching: []))
        let answer = try ConfigEvaluator().read(files: paths, presets: presets, watching: [], logger: Logger(level: .fatal))
        XCTAssertEqual(answer.variables.elements("list"), ["onetwo", "b"])
    }

    func testAMissingFileIsLeftToBash() throws {
        XCTAssertNil(PlainAssignments.read(files: [directory + "/missing.conf"], presets: ShellVariables(), watching: []))
        XCTAssertNil(PlainAssignments.read(files: [directory], presets: ShellVariables(), watching: []))
    }
}
