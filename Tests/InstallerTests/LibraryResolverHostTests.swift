import Foundation
import XCTest

@testable import Installer

/// The resolver on the host's own files must give exactly what ldd prints, in ldd's order.
final class LibraryResolverHostTests: XCTestCase {
    private func assertMatchesLdd(
        _ path: String, resolver: LibraryResolver = LibraryResolver(), file: StaticString = #filePath,
        line: UInt = #line
    ) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("\(path) is not installed") }
        let oracle = try ELFTestSupport.ldd(path)
        let result = try resolver.dependencies(of: path)
        XCTAssertEqual(result.files, oracle.files, path, file: file, line: line)
        XCTAssertEqual(result.missing, oracle.missing, path, file: file, line: line)
    }

    func testBash() throws {
        let result = try LibraryResolver().dependencies(of: "/bin/bash")
        XCTAssertTrue(result.files.contains("/lib/x86_64-linux-gnu/libc.so.6"), "\(result.files)")
        XCTAssertEqual(result.files.last, "/lib64/ld-linux-x86-64.so.2")
        try assertMatchesLdd("/bin/bash")
    }

    func testCommonPrograms() throws {
        let resolver = LibraryResolver()
        for path in ["/usr/bin/ls", "/usr/bin/cpio", "/usr/bin/python3", "/usr/bin/readelf", "/usr/bin/gcc"]
        where FileManager.default.fileExists(atPath: path) {
            try assertMatchesLdd(path, resolver: resolver)
        }
    }

    func testRunpathWithOriginAndLoaderChain() throws {
        // RUNPATH with $ORIGIN, libraries found through it that have their own RUNPATH with $ORIGIN,
        // and paths with `..` kept as the loader forms them.
        try assertMatchesLdd("/opt/swift/usr/bin/swift-frontend")
        try assertMatchesLdd("/opt/swift/usr/bin/sourcekit-lsp")
    }

    func testSharedLibrariesListTheStandardInterpreter() throws {
        for path in ["/lib/x86_64-linux-gnu/libselinux.so.1", "/lib/x86_64-linux-gnu/libc.so.6"] {
            try assertMatchesLdd(path)
        }
    }

    /// A broad sweep: every ELF program in /usr/bin.
    func testEveryProgramInUsrBin() throws {
        let resolver = LibraryResolver()
        let names = try FileManager.default.contentsOfDirectory(atPath: "/usr/bin").sorted()
        var checked = 0
        for name in names {
            let path = "/usr/bin/\(name)"
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            guard attributes?[.type] as? FileAttributeType == .typeRegular, ELFFile.isELF(at: path),
                let oracle = try? ELFTestSupport.ldd(path), !oracle.files.isEmpty
            else { continue }
            let result = try resolver.dependencies(of: path)
            XCTAssertEqual(result.files, oracle.files, path)
            XCTAssertEqual(result.missing, oracle.missing, path)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 20)
    }

    func testEachFileIsParsedOnce() throws {
        let resolver = LibraryResolver()
        let bash = try resolver.dependencies(of: "/bin/bash")
        let afterBash = resolver.parsedFileCount
        XCTAssertEqual(afterBash, bash.files.count + 1, "the program and each dependency")
        _ = try resolver.dependencies(of: "/bin/bash")
        XCTAssertEqual(resolver.parsedFileCount, afterBash)
        let ls = try resolver.dependencies(of: "/usr/bin/ls")
        let newFiles = Set(ls.files).subtracting(bash.files)
        XCTAssertEqual(resolver.parsedFileCount, afterBash + 1 + newFiles.count)
    }

    func testScriptsNeedTheirInterpreter() throws {
        let directory = try ELFTestSupport.makeTemporaryDirectory()
        defer { ELFTestSupport.removeDirectory(directory) }
        try ELFTestSupport.write("#!/bin/sh -e\necho hi\n", to: "\(directory)/plain", mode: 0o755)
        try ELFTestSupport.write("#!\(directory)/plain\n", to: "\(directory)/nested", mode: 0o755)
        try ELFTestSupport.write("#!/nonexistent/interpreter\n", to: "\(directory)/orphan", mode: 0o755)
        try ELFTestSupport.write("#!sh\n", to: "\(directory)/relative", mode: 0o755)
        try ELFTestSupport.write("just data\n", to: "\(directory)/data")

        let resolver = LibraryResolver()
        let shell = try ELFTestSupport.ldd("/bin/sh")
        XCTAssertEqual(try resolver.dependencies(of: "\(directory)/plain").files, ["/bin/sh"] + shell.files)
        XCTAssertEqual(
            try resolver.dependencies(of: "\(directory)/nested").files, ["\(directory)/plain", "/bin/sh"] + shell.files)
        XCTAssertEqual(
            try resolver.dependencies(of: "\(directory)/orphan"),
            ELFDependencies(missing: ["/nonexistent/interpreter"]))
        XCTAssertEqual(try resolver.dependencies(of: "\(directory)/relative"), ELFDependencies(missing: ["sh"]))
        XCTAssertEqual(try resolver.dependencies(of: "\(directory)/data"), ELFDependencies())
    }

    func testScriptThatInterpretsItselfStops() throws {
        let directory = try ELFTestSupport.makeTemporaryDirectory()
        defer { ELFTestSupport.removeDirectory(directory) }
        try ELFTestSupport.write("#!\(directory)/loop\n", to: "\(directory)/loop", mode: 0o755)
        let result = try LibraryResolver().dependencies(of: "\(directory)/loop")
        XCTAssertEqual(result.files, ["\(directory)/loop"])
    }

    func testConcurrentCallsAreSafe() throws {
        let resolver = LibraryResolver()
        let programs = ["/bin/bash", "/usr/bin/ls", "/usr/bin/cpio", "/usr/bin/python3"]
            .filter { FileManager.default.fileExists(atPath: $0) }
        let expected = try programs.map { try LibraryResolver().dependencies(of: $0) }
        let results = ResultBox(count: programs.count * 4)
        DispatchQueue.concurrentPerform(iterations: programs.count * 4) { index in
            results.set(index, try? resolver.dependencies(of: programs[index % programs.count]))
        }
        for index in 0..<programs.count * 4 {
            XCTAssertEqual(results.get(index), expected[index % programs.count])
        }
    }

    func testHostPathOnTheHostIsTheCanonicalPath() throws {
        let resolver = LibraryResolver(sysroot: "/")
        XCTAssertEqual(resolver.sysroot, "")
        XCTAssertEqual(
            try resolver.hostPath(of: "/lib64/ld-linux-x86-64.so.2"),
            ELFTestSupport.canonical("/lib64/ld-linux-x86-64.so.2"))
        XCTAssertNil(try resolver.hostPath(of: "/no/such/file"))
    }
}

private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [ELFDependencies?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: ELFDependencies?) { lock.withLock { values[index] = value } }
    func get(_ index: Int) -> ELFDependencies? { lock.withLock { values[index] } }
}
