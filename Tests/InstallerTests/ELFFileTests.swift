import Foundation
import XCTest

@testable import Installer

/// ELFFile on real system files, checked against readelf, and on synthetic files of other ABIs.
final class ELFFileTests: XCTestCase {
    private let systemFiles = [
        "/bin/bash", "/usr/bin/ls", "/usr/bin/cpio", "/usr/bin/python3",
        "/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libselinux.so.1",
        "/opt/swift/usr/bin/swift-frontend",
    ]

    func testSystemFilesMatchReadelf() throws {
        var checked = 0
        for path in systemFiles where FileManager.default.fileExists(atPath: path) {
            let file = try ELFFile(contentsOf: path)
            let dynamic = ["-dW", path]
            XCTAssertEqual(file.neededLibraries, try ELFTestSupport.readelfValues(dynamic, marker: "(NEEDED)"), path)
            XCTAssertEqual(file.soname, try ELFTestSupport.readelfValues(dynamic, marker: "(SONAME)").first, path)
            XCTAssertEqual(file.rpath, try ELFTestSupport.readelfValues(dynamic, marker: "(RPATH)").first, path)
            XCTAssertEqual(file.runpath, try ELFTestSupport.readelfValues(dynamic, marker: "(RUNPATH)").first, path)
            let interpreter = try ELFTestSupport.readelfValues(["-lW", path], marker: "program interpreter").first
                .map { $0.replacingOccurrences(of: "Requesting program interpreter: ", with: "") }
            XCTAssertEqual(file.interpreter, interpreter, path)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 2)
    }

    func testHeaderFieldsOfHostBinary() throws {
        let file = try ELFFile(contentsOf: "/bin/bash")
        XCTAssertEqual(file.fileClass, .elf64)
        XCTAssertEqual(file.endianness, .little)
        XCTAssertEqual(file.machine, .x86_64)
        XCTAssertEqual(file.interpreter, "/lib64/ld-linux-x86-64.so.2")
        XCTAssertTrue([.sharedObject, .executable].contains(file.objectType))
        XCTAssertEqual(try ELFFile(contentsOf: "/lib/x86_64-linux-gnu/libc.so.6").soname, "libc.so.6")
    }

    func testRunpathBinary() throws {
        let path = "/opt/swift/usr/bin/swift-frontend"
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("no Swift toolchain at /opt/swift") }
        let file = try ELFFile(contentsOf: path)
        XCTAssertEqual(file.runpath, "$ORIGIN/../lib/swift/linux:$ORIGIN/../lib/swift/host/compiler")
        XCTAssertNil(file.effectiveRPath)
    }

    func testSynthetic32BitBigEndianAndLittleEndianFiles() throws {
        let directory = try ELFTestSupport.makeTemporaryDirectory()
        defer { ELFTestSupport.removeDirectory(directory) }
        let variants: [(ELFFile.Class, ELFFile.Endianness, ELFFile.Machine)] = [
            (.elf32, .little, .i386), (.elf32, .big, .powerPC), (.elf64, .big, .powerPC64), (.elf64, .little, .aarch64),
        ]
        for (index, (fileClass, endianness, machine)) in variants.enumerated() {
            let synthetic = SyntheticELF(
                fileClass: fileClass, endianness: endianness, machine: machine, interpreter: "/lib/ld-test.so.1",
                needed: ["libone.so.1", "libtwo.so.2"], soname: "libself.so.3", rpath: "/r1:/r2", runpath: "$ORIGIN/x",
                noDefaultLibraries: true)
            let path = "\(directory)/file\(index)"
            try ELFTestSupport.write(synthetic.bytes(), to: path)
            let file = try ELFFile(contentsOf: path)
            XCTAssertEqual(file.fileClass, fileClass)
            XCTAssertEqual(file.endianness, endianness)
            XCTAssertEqual(file.machine, machine)
            XCTAssertEqual(file.objectType, .sharedObject)
            XCTAssertEqual(file.interpreter, "/lib/ld-test.so.1")
            XCTAssertEqual(file.neededLibraries, ["libone.so.1", "libtwo.so.2"])
            XCTAssertEqual(file.soname, "libself.so.3")
            XCTAssertEqual(file.rpath, "/r1:/r2")
            XCTAssertEqual(file.runpath, "$ORIGIN/x")
            XCTAssertNil(file.effectiveRPath, "DT_RUNPATH hides DT_RPATH")
            XCTAssertTrue(file.ignoresDefaultLibraryPaths)
        }
        // readelf agrees with the synthetic writer, so the synthetic tests are meaningful.
        XCTAssertEqual(
            try ELFTestSupport.readelfValues(["-dW", "\(directory)/file1"], marker: "(NEEDED)"),
            ["libone.so.1", "libtwo.so.2"])
    }

    func testLoadabilityRequiresSameClassByteOrderAndMachine() {
        func file(_ fileClass: ELFFile.Class, _ endianness: ELFFile.Endianness, _ machine: ELFFile.Machine) -> ELFFile {
            ELFFile(
                path: "/x", fileClass: fileClass, endianness: endianness, machine: machine, objectType: .sharedObject)
        }
        let program = file(.elf64, .little, .x86_64)
        XCTAssertTrue(file(.elf64, .little, .x86_64).isLoadable(by: program))
        XCTAssertFalse(file(.elf32, .little, .x86_64).isLoadable(by: program), "x32")
        XCTAssertFalse(file(.elf32, .little, .i386).isLoadable(by: program))
        XCTAssertFalse(file(.elf64, .little, .aarch64).isLoadable(by: program))
        XCTAssertFalse(file(.elf64, .big, .x86_64).isLoadable(by: program))
    }

    func testIsELF() throws {
        let directory = try ELFTestSupport.makeTemporaryDirectory()
        defer { ELFTestSupport.removeDirectory(directory) }
        try ELFTestSupport.write("#!/bin/sh\n", to: "\(directory)/script")
        try ELFTestSupport.write([0x7F, 0x45, 0x4C], to: "\(directory)/short")
        XCTAssertTrue(ELFFile.isELF(at: "/bin/bash"))
        XCTAssertFalse(ELFFile.isELF(at: "\(directory)/script"))
        XCTAssertFalse(ELFFile.isELF(at: "\(directory)/short"))
        XCTAssertFalse(ELFFile.isELF(at: directory))
        XCTAssertFalse(ELFFile.isELF(at: "\(directory)/missing"))
    }

    func testScriptInterpreter() throws {
        let directory = try ELFTestSupport.makeTemporaryDirectory()
        defer { ELFTestSupport.removeDirectory(directory) }
        let cases: [(String, String?)] = [
            ("#!/bin/sh\necho\n", "/bin/sh"),
            ("#! /bin/bash -e\n", "/bin/bash"),
            ("#!\t/usr/bin/env python3\n", "/usr/bin/env"),
            ("#!/bin/sh", "/bin/sh"),
            ("#!\n", nil),
            ("#!   \n/bin/sh\n", nil),
            ("echo no\n", nil),
            ("", nil),
            (" #!/bin/sh\n", nil),
        ]
        for (index, (text, expected)) in cases.enumerated() {
            let path = "\(directory)/script\(index)"
            try ELFTestSupport.write(text, to: path)
            XCTAssertEqual(ScriptHeader.interpreter(ofScriptAt: path), expected, text.debugDescription)
        }
        XCTAssertNil(ScriptHeader.interpreter(ofScriptAt: "/bin/bash"))
        XCTAssertNil(ScriptHeader.interpreter(ofScriptAt: directory))
        XCTAssertNil(ScriptHeader.interpreter(ofScriptAt: "\(directory)/missing"))
    }
}
