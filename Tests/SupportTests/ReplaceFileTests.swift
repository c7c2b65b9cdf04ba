import Foundation
import Support
import XCTest

/// replaceFile: what FileManager's createFile leaves, without its temporary file and sync.
final class ReplaceFileTests: XCTestCase {
    private var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "kindling-replace-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func status(_ path: String) -> stat {
        var status = stat()
        XCTAssertEqual(lstat(path, &status), 0, path)
        return status
    }

    private func text(_ path: String) -> String {
        String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
    }

    func testAnExistingFileBecomesANewOneWithTheModeCreateFileGives() throws {
        let reference = directory + "/reference"
        XCTAssertTrue(FileManager.default.createFile(atPath: reference, contents: Data()))
        let path = directory + "/fstab"
        XCTAssertTrue(replaceFile(path, with: Array("old\n".utf8), mode: 0o600))
        // A second name of the old file keeps the old bytes: the new file is another inode.
        XCTAssertEqual(link(path, directory + "/second"), 0)
        XCTAssertTrue(replaceFile(path, with: Array("new\n".utf8)))
        XCTAssertEqual(text(path), "new\n")
        XCTAssertEqual(text(directory + "/second"), "old\n")
        XCTAssertEqual(status(path).st_mode & 0o7777, status(reference).st_mode & 0o7777)
    }

    func testAGivenModeIsTakenWhateverTheUmask() throws {
        let path = directory + "/hook.sh"
        XCTAssertTrue(replaceFile(path, with: Array("#!/bin/sh\n".utf8), mode: 0o4751))
        XCTAssertEqual(status(path).st_mode & 0o7777, 0o4751)
    }

    func testASymlinkIsReplacedAndItsTargetLeftAlone() throws {
        let target = directory + "/target"
        try Data("kept".utf8).write(to: URL(fileURLWithPath: target))
        let link = directory + "/link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        XCTAssertTrue(replaceFile(link, with: Array("mine".utf8)))
        XCTAssertEqual(status(link).st_mode & S_IFMT, S_IFREG)
        XCTAssertEqual(text(link), "mine")
        XCTAssertEqual(text(target), "kept")
    }

    func testADirectoryThereIsAFailure() throws {
        let path = directory + "/etc"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        XCTAssertFalse(replaceFile(path, with: Array("x".utf8)))
        XCTAssertEqual(status(path).st_mode & S_IFMT, S_IFDIR)
    }
}
