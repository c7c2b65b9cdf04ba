import Foundation
import Support
import XCTest

@testable import Installer

/// The lazy pass installs each program's libraries once the modules ran, their bytes copied on
/// worker threads: when it returns, every copy is whole, with the host file's mode and times.
final class LazyPassTests: XCTestCase {
    private var image: String!

    override func setUpWithError() throws {
        image = NSTemporaryDirectory() + "kindling-lazy-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: image, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: image)
    }

    func testLibrariesAreWholeWhenThePassReturns() throws {
        let installer = FileInstaller(
            sysroot: "", imageRoot: image, searchPath: ["/usr/bin"], resolver: LibraryResolver(), resolvesEagerly: false,
            logger: Logger(level: .fatal))
        let programs = ["/usr/bin/bash", "/usr/bin/ls", "/usr/bin/cpio", "/usr/bin/gzip"].filter {
            FileManager.default.fileExists(atPath: $0)
        }
        for program in programs { XCTAssertTrue(try installer.install(program)) }
        try installer.resolveInstalledExecutables()

        var libraries: Set<String> = []
        for program in programs { libraries.formUnion(try LibraryResolver().dependencies(of: program).files) }
        XCTAssertGreaterThan(libraries.count, 3)
        for library in libraries {
            let real = URL(fileURLWithPath: library).resolvingSymlinksInPath().path
            let copy = image + real
            XCTAssertEqual(FileManager.default.contents(atPath: copy), FileManager.default.contents(atPath: real), real)
            var original = stat(), copied = stat()
            XCTAssertEqual(stat(real, &original), 0)
            XCTAssertEqual(lstat(copy, &copied), 0, copy)
            XCTAssertEqual(copied.st_mode, original.st_mode, copy)
            XCTAssertEqual(copied.st_mtim.tv_nsec, original.st_mtim.tv_nsec, copy)
        }
    }
}
