import Foundation
import XCTest
@testable import ShellBridge
import Support

/// The systemctl stand-in against the host's systemctl on two trees set up alike: the same links
/// where it takes a call, nothing changed where it declines.
final class SystemctlStandInTests: XCTestCase {
    private var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "kindling-systemctl-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        XCTAssertNotNil(UnitSearchPath.host, "systemd-path cannot tell the unit search path (is systemd installed?)")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static let units: [String: String] = [
        "plain.service": "[Unit]\nDescription=x\n\n[Service]\nExecStart=/bin/true\n\n[Install]\nWantedBy=multi-user.target\n",
        "two.service": "[Install]\n# a comment\nWantedBy=sysinit.target  basic.target\nRequiredBy = initrd.target\n",
        "networkd.service":
            "[Install]\nWantedBy=multi-user.target\nAlso=networkd.socket\nAlias=dbus-org.example.service\n",
        "networkd.socket": "[Socket]\nListenStream=/run/x\n[Install]\nWantedBy=sockets.target\n",
        "templated.service": "[Install]\nWantedBy=getty@%i.target\n",
        "bare.service": "[Service]\nExecStart=/bin/true\n",
        "continued.service": "[Install]\nWantedBy=a.target \\\n  b.target\n",
        "default-instance.service": "[Install]\nWantedBy=a.target\nDefaultInstance=x\n",
        "dropin.service": "[Install]\nWantedBy=a.target\n",
        "masked.service": "[Install]\nWantedBy=a.target\n",
        "multi-user.target": "[Unit]\nDescription=Multi-User\n",
        "other.target": "[Unit]\nDescription=Other\n",
    ]

    /// A tree laid out as Kindling's images are: lib a symlink to usr/lib, units in lib/systemd/system.
    private func makeTree() throws -> String {
        let root = directory + "/tree-\(UUID().uuidString)"
        let units = root + "/usr/lib/systemd/system"
        try FileManager.default.createDirectory(atPath: units + "/dropin.service.d", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/etc/systemd/system", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/lib", withDestinationPath: "usr/lib")
        for (name, text) in Self.units { try text.write(toFile: units + "/" + name, atomically: true, encoding: .utf8) }
        try FileManager.default.createSymbolicLink(atPath: root + "/etc/systemd/system/masked.service", withDestinationPath: "/dev/null")
        return root
    }

    /// Runs systemctl in one tree and the stand-in in another; returns whether the stand-in took it.
    @discardableResult
    private func compare(
        _ arguments: [String], before: (String) throws -> Void = { _ in }, file: StaticString = #filePath, line: UInt = #line
    ) throws -> Bool {
        let real = try makeTree(), stood = try makeTree()
        try before(real)
        try before(stood)
        let ran = try runCommand("/usr/bin/systemctl", ["--root", real] + arguments, environment: ["PATH": "/usr/bin:/bin"])
        let unchanged = treeListing(stood + "/etc")
        guard let result = SystemctlStandIn.run(["--root", stood] + arguments, umask: FileStandIns.engineMask) else {
            XCTAssertEqual(treeListing(stood + "/etc"), unchanged, "declined after a change", file: file, line: line)
            return false
        }
        let label = arguments.joined(separator: " ")
        XCTAssertEqual(ran.errorText, "", label, file: file, line: line)
        XCTAssertEqual(result.status, ran.status, label, file: file, line: line)
        XCTAssertEqual(treeListing(stood + "/etc"), treeListing(real + "/etc"), label, file: file, line: line)
        return true
    }

    func testEnableMakesTheLinksSystemctlMakes() throws {
        XCTAssertTrue(try compare(["-q", "enable", "plain.service"]))
        XCTAssertTrue(try compare(["enable", "-q", "two.service", "plain.service"]))
        XCTAssertTrue(try compare(["--quiet", "enable", "networkd.service"]))
        // A link that is there already, pointing where enable would point it.
        XCTAssertTrue(
            try compare(["-q", "enable", "plain.service"]) { root in
                try FileManager.default.createDirectory(
                    atPath: root + "/etc/systemd/system/multi-user.target.wants", withIntermediateDirectories: true)
                try FileManager.default.createSymbolicLink(
                    atPath: root + "/etc/systemd/system/multi-user.target.wants/plain.service",
                    withDestinationPath: "/lib/systemd/system/plain.service")
            })
    }

    func testEnableLeavesWhatItCannotDoAsSystemctlToSystemctl() throws {
        for unit in [
            "templated.service", "bare.service", "continued.service", "default-instance.service", "dropin.service",
            "masked.service", "missing.service", "getty@tty1.service",
        ] {
            XCTAssertFalse(try compare(["-q", "enable", unit]), unit)
        }
        XCTAssertFalse(try compare(["enable", "plain.service"]), "without -q systemctl reports the links")
        // The host's own configuration is systemctl's business.
        XCTAssertNil(SystemctlStandIn.run(["-q", "--root", "/", "enable", "plain.service"], umask: FileStandIns.engineMask))
        XCTAssertNil(SystemctlStandIn.run(["-q", "--root=/tmp/..", "enable", "plain.service"], umask: FileStandIns.engineMask))
        XCTAssertFalse(try compare(["-q", "--now", "enable", "plain.service"]))
        XCTAssertFalse(
            try compare(["-q", "enable", "plain.service"]) { root in
                try FileManager.default.createDirectory(
                    atPath: root + "/etc/systemd/system/multi-user.target.wants", withIntermediateDirectories: true)
                try FileManager.default.createSymbolicLink(
                    atPath: root + "/etc/systemd/system/multi-user.target.wants/plain.service", withDestinationPath: "/elsewhere")
            })
    }

    func testSetDefaultPointsDefaultTargetAsSystemctlDoes() throws {
        XCTAssertTrue(try compare(["-q", "set-default", "multi-user.target"]))
        XCTAssertTrue(
            try compare(["-q", "set-default", "multi-user.target"]) { root in
                try FileManager.default.createSymbolicLink(
                    atPath: root + "/etc/systemd/system/default.target", withDestinationPath: "/lib/systemd/system/other.target")
            })
        XCTAssertFalse(try compare(["-q", "set-default", "plain.service"]))
        XCTAssertFalse(try compare(["-q", "set-default", "missing.target"]))
    }
}
