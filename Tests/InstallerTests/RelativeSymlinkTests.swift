import Foundation
import XCTest

@testable import Installer
import Support

/// RelativeSymlink against GNU `ln -sfnr` itself: two copies of one tree, the same calls, the
/// same link text and the same outcome.
final class RelativeSymlinkTests: XCTestCase {
    private var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "kindling-ln-r-\(UUID().uuidString)"
        for side in ["ln", "native"] { try makeTree(directory + "/" + side) }
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// usr/bin and usr/sbin with bin -> usr/bin, a symlink to a directory, one that leaves the
    /// tree by an absolute path, a file and a directory where links will go.
    private func makeTree(_ root: String) throws {
        let files = FileManager.default
        for path in ["usr/bin", "usr/sbin", "usr/lib/x86_64-linux-gnu", "etc/dir"] {
            try files.createDirectory(atPath: root + "/" + path, withIntermediateDirectories: true)
        }
        try files.createSymbolicLink(atPath: root + "/bin", withDestinationPath: "usr/bin")
        try files.createSymbolicLink(atPath: root + "/lib64", withDestinationPath: "usr/lib/x86_64-linux-gnu")
        try files.createSymbolicLink(atPath: root + "/etc/to-dir", withDestinationPath: "dir")
        try files.createSymbolicLink(atPath: root + "/host-tmp", withDestinationPath: "/tmp")
        for path in ["usr/bin/busybox", "etc/file"] {
            XCTAssertTrue(files.createFile(atPath: root + "/" + path, contents: Data("x".utf8)))
        }
    }

    func testTheLinkTextAndOutcomeAreLnsOwn() throws {
        let cases: [(source: String, link: String)] = [
            ("/bin/busybox", "/usr/sbin/cat"),
            ("/usr/bin/busybox", "/bin/ls"),
            ("/bin/busybox", "/bin/sh"),
            ("/missing/dir/x", "/usr/bin/y"),
            ("/usr/bin/../lib/./x", "/usr/lib/new/../z"),
            ("/lib64/libc.so.6", "/usr/lib/libc.so.6"),
            ("/", "/usr/bin/root"),
            ("/bin/busybox", "/etc/file"),
            ("/bin/busybox", "/etc/to-dir"),
            ("/host-tmp/x", "/etc/tmp-x"),
            ("/bin/busybox", "/etc/dir"),
            ("/bin/busybox", "/no/such/dir/link"),
            ("/usr//bin/busybox", "/usr/sbin//cat2"),
        ]
        for (source, link) in cases {
            let lnRoot = directory + "/ln", nativeRoot = directory + "/native"
            let ln = try runCommand("ln", ["-sfnr", "--", lnRoot + source, lnRoot + link])
            let outcome = RelativeSymlink.make(pointingAt: nativeRoot + source, at: nativeRoot + link)
            let name = "ln_r \(source) \(link)"
            switch outcome {
            case nil:
                XCTAssertEqual(ln.status, 0, name)
                XCTAssertTrue(FileManager.default.fileExists(atPath: lnRoot + link + "/busybox"), "\(name): ln put it inside")
            case .failed(let message)?:
                XCTAssertNotEqual(ln.status, 0, "\(name): ln made it, RelativeSymlink did not: \(message)")
                XCTAssertTrue(message.contains(nativeRoot + link), message)
            case .made?:
                XCTAssertEqual(ln.status, 0, "\(name): \(ln.errorText)")
                XCTAssertEqual(
                    try FileManager.default.destinationOfSymbolicLink(atPath: nativeRoot + link),
                    try FileManager.default.destinationOfSymbolicLink(atPath: lnRoot + link), name)
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/native/etc/file.kindling-ln_r"))
    }
}
