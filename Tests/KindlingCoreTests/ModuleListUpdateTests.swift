import Foundation
import XCTest

@testable import KindlingCore
@testable import ModuleGraph

/// The install loop sends bash only the change of mods_to_load and modules_loaded from one
/// module to the next; bash must end up with the values the whole lists had (dracut's spelling,
/// padded with spaces), even when module code changed the public variables in between.
final class ModuleListUpdateTests: XCTestCase {
    func testEachStepGivesTheWholeListsValues() throws {
        let names = ["base", "bash", "odd*name", "with space", "it's", "last"]
        let modules = names.map { Module(directory: "/m/90" + $0) }
        var script = ""
        var expected: [String] = []
        for index in modules.indices {
            let pending = Array(names[index...]), loaded = Array(names[..<index])
            script += ModuleInstallation.listUpdate(index: index, modules: modules, pending: pending, loaded: loaded) + "\n"
            script += "printf '[%s][%s]\\n' \"$mods_to_load\" \"$modules_loaded\"\n"
            // Module code may change the public lists; the next step sets them again.
            script += "mods_to_load=changed; modules_loaded=changed\n"
            expected.append("[ \(pending.joined(separator: " ")) ][ \(loaded.joined(separator: " ")) ]")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["--noprofile", "--norc", "-c", script]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual(String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init), expected)
    }
}
