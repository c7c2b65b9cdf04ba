import XCTest

@testable import Installer

/// The module name of a file, as libkmod derives it, by the fast path for ASCII paths and by the
/// general one for the rest: both give the same names.
final class KernelModuleNameTests: XCTestCase {
    /// The general rule, spelled out: the last non-empty component up to its first dot, dashes
    /// turned into underscores.
    private func reference(_ path: String) -> String {
        let base = path.split(separator: "/").last.map(String.init) ?? path
        return String(base.prefix { $0 != "." }.map { $0 == "-" ? "_" : $0 })
    }

    func testNamesFromFilePaths() {
        XCTAssertEqual(KernelModule.name(ofFile: "/lib/modules/6.1/kernel/drivers/block/virtio_blk.ko"), "virtio_blk")
        XCTAssertEqual(KernelModule.name(ofFile: "kernel/fs/nls/nls-cp437.ko.xz"), "nls_cp437")
        XCTAssertEqual(KernelModule.name(ofFile: "dm-mod.ko.zst"), "dm_mod")
        for path in [
            "", "/", "a", "a/", "a//b.ko", "/x/.hidden.ko", "x/y-z", "x/ü-ber.ko", "x/e\u{301}.ko", "a-b/c-d.e-f.ko",
            "/lib/modules/k/kernel/net/ipv4/tcp_bbr.ko", "trailing/dir/",
        ] {
            XCTAssertEqual(KernelModule.name(ofFile: path), reference(path), path)
        }
    }
}
