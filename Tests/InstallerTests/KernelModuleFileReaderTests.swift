import Foundation
import Support
import XCTest

@testable import Installer

/// The direct .ko reader must see what libkmod sees, since dracut-install's -s and -S filters
/// and its firmware step are defined by libkmod's answers.
final class KernelModuleFileReaderTests: XCTestCase {
    private typealias Support = KernelModuleTestSupport

    func testReaderAgreesWithLibkmodOnEveryModuleOfTheKernel() throws {
        let kernel = try Support.kernel()
        let index = try KernelModuleIndex(directory: kernel.moduleDirectory, logger: Logger(level: .fatal))
        let files = ModuleTreeWalk(moduleDirectory: kernel.moduleDirectory, filter: ModuleFilter()).files(under: "")
        XCTAssertGreaterThan(files.count, 1000)
        var disagreements: [String] = []
        for file in files {
            let own = try ModuleELFReader(path: file).read()
            let libkmod = try index.libkmodFacts(ofFile: file)
            if Set(own.importedSymbols) != Set(libkmod.importedSymbols) || own.firmware != libkmod.firmware {
                disagreements.append(file)
            }
        }
        XCTAssertEqual(disagreements, [])
    }

    func testReaderRefusesDamagedFilesWithOneLine() throws {
        let kernel = try Support.kernel()
        let directory = try Support.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let original = try Data(contentsOf: URL(fileURLWithPath: kernel.moduleDirectory + "/kernel/fs/fat/vfat.ko"))
        var damaged: [String: Data] = [
            "empty.ko": Data(), "header.ko": original.prefix(64), "half.ko": original.prefix(original.count / 2),
            "text.ko": Data("not a module".utf8),
        ]
        // A section table pointing past the end of the file.
        var pastTheEnd = original
        pastTheEnd.replaceSubrange(0x28..<0x30, with: withUnsafeBytes(of: UInt64(original.count).littleEndian) { Data($0) })
        damaged["table.ko"] = pastTheEnd
        for (name, bytes) in damaged {
            let path = directory + "/" + name
            try bytes.write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try ModuleELFReader(path: path).read(), name) { error in
                guard case .unreadableModule(let reported, _)? = error as? KernelModuleError else { return XCTFail("\(error)") }
                XCTAssertEqual(reported, path)
                XCTAssertFalse("\(error)".contains("\n"))
            }
        }
    }
}
