import Foundation
import Support
import XCTest

@testable import Installer

/// The loader's search rules, on small programs compiled here and checked against ldd:
/// DT_RPATH is inherited down the loading chain, DT_RUNPATH is not and switches RPATH off.
final class LibraryResolverSearchOrderTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        try ELFTestSupport.requireTool("/usr/bin/cc")
        directory = try ELFTestSupport.makeTemporaryDirectory()
        // d1/libleaf.so; d2/libmiddle.so needs libleaf.so and has no search path of its own.
        try compileLibrary("leaf", in: "d1", source: "int leaf(void) { return 1; }")
        try compileLibrary(
            "middle", in: "d2", source: "int leaf(void); int middle(void) { return leaf(); }",
            flags: ["-L\(directory)/d1", "-lleaf"])
    }

    override func tearDown() {
        ELFTestSupport.removeDirectory(directory)
    }

    private func compile(_ output: String, source: String, flags: [String]) throws {
        let sourcePath = "\(directory)/\((output as NSString).lastPathComponent).c"
        try ELFTestSupport.write(source, to: sourcePath)
        let result = try runCommand("/usr/bin/cc", [sourcePath, "-o", "\(directory)/\(output)"] + flags)
        guard result.status == 0 else { throw XCTSkip("cannot compile test programs: \(result.errorText)") }
    }

    private func compileLibrary(_ name: String, in subdirectory: String, source: String, flags: [String] = []) throws {
        try FileManager.default.createDirectory(
            atPath: "\(directory)/\(subdirectory)", withIntermediateDirectories: true)
        try compile(
            "\(subdirectory)/lib\(name).so", source: source,
            flags: ["-shared", "-fPIC", "-Wl,-soname,lib\(name).so", "-Wl,--no-as-needed"] + flags)
    }

    private func compileProgram(_ name: String, searchPath: String, newTags: Bool) throws -> String {
        try compile(
            name, source: "int middle(void); int main(void) { return middle(); }",
            flags: [
                "-L\(directory)/d2", "-lmiddle", "-Wl,--no-as-needed", "-Wl,-rpath,\(searchPath)",
                "-Wl,-rpath-link,\(directory)/d1",
                newTags ? "-Wl,--enable-new-dtags" : "-Wl,--disable-new-dtags",
            ])
        return "\(directory)/\(name)"
    }

    private func assertMatchesLdd(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws
        -> ELFDependencies
    {
        let oracle = try ELFTestSupport.ldd(path)
        let result = try LibraryResolver().dependencies(of: path)
        XCTAssertEqual(result.files, oracle.files, file: file, line: line)
        XCTAssertEqual(result.missing, oracle.missing, file: file, line: line)
        return result
    }

    func testRPathIsInheritedByLibrariesWithoutSearchPaths() throws {
        let program = try compileProgram("with-rpath", searchPath: "$ORIGIN/d2:\(directory)/d1", newTags: false)
        XCTAssertNotNil(try ELFFile(contentsOf: program).rpath)
        let result = try assertMatchesLdd(program)
        XCTAssertEqual(result.files.first, "\(directory)/d2/libmiddle.so")
        XCTAssertTrue(result.files.contains("\(directory)/d1/libleaf.so"), "\(result.files)")
        XCTAssertEqual(result.missing, [])
    }

    func testRunpathIsNotInherited() throws {
        let program = try compileProgram("with-runpath", searchPath: "$ORIGIN/d2:\(directory)/d1", newTags: true)
        XCTAssertNotNil(try ELFFile(contentsOf: program).runpath)
        let result = try assertMatchesLdd(program)
        XCTAssertEqual(result.files.first, "\(directory)/d2/libmiddle.so")
        XCTAssertEqual(result.missing, ["libleaf.so"])
    }

    func testRunpathOfTheRequesterSwitchesOffInheritedRPath() throws {
        // libgate.so has a RUNPATH that leads nowhere and needs libleaf.so: the program's RPATH,
        // which would find it, is not consulted for libgate's needs.
        try compileLibrary(
            "gate", in: "d3", source: "int leaf(void); int middle(void) { return leaf(); }",
            flags: ["-L\(directory)/d1", "-lleaf", "-Wl,-rpath,/nonexistent", "-Wl,--enable-new-dtags"])
        try compile(
            "gated", source: "int middle(void); int main(void) { return middle(); }",
            flags: [
                "-L\(directory)/d3", "-lgate", "-Wl,--no-as-needed", "-Wl,-rpath,\(directory)/d3:\(directory)/d1",
                "-Wl,--disable-new-dtags",
            ])
        let result = try assertMatchesLdd("\(directory)/gated")
        XCTAssertEqual(result.missing, ["libleaf.so"])
    }

    func testLibraryDirectoryToken() throws {
        // `$LIB` is where this system keeps its libraries; on Debian `lib/x86_64-linux-gnu`.
        guard FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu") else {
            throw XCTSkip("not a Debian multiarch system")
        }
        let multiarch = "\(directory)/tree/lib/x86_64-linux-gnu"
        try FileManager.default.createDirectory(atPath: multiarch, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(directory)/d2/libmiddle.so", toPath: "\(multiarch)/libmiddle.so")
        let program = try compileProgram(
            "with-lib", searchPath: "\(directory)/tree/$LIB:\(directory)/d1", newTags: false)
        let result = try assertMatchesLdd(program)
        XCTAssertEqual(result.files.first, "\(multiarch)/libmiddle.so")
    }

    /// At run time `$ORIGIN` is the directory of the real program file (from /proc/self/exe), so a
    /// program reached through a symlink still finds its libraries. ldd, which uses the path it was
    /// given, does not: this is the one deliberate difference.
    func testOriginIsTheRealProgramDirectory() throws {
        let program = try compileProgram("real", searchPath: "$ORIGIN/d2:$ORIGIN/d1", newTags: true)
        let link = "\(directory)/elsewhere/link"
        try ELFTestSupport.symlink(program, at: link)
        XCTAssertEqual(try ELFTestSupport.ldd(link).missing, ["libmiddle.so"])
        let result = try LibraryResolver().dependencies(of: link)
        XCTAssertEqual(result.files.first, "\(directory)/d2/libmiddle.so")
        XCTAssertEqual(result.missing, ["libleaf.so"], "RUNPATH is still not inherited")
    }
}
