import Foundation
import XCTest
@testable import Configuration
import Support

/// The options whose logic is in the configuration: word splitting of stored parameters for
/// --rebuild, --sshkey's early setting, --persistent-policy's checks, list options' padding.
final class OptionsTakenOverTests: XCTestCase {
    var root: String!

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "kindling-options-\(UUID().uuidString)"
        for directory in ["/etc/dracut.conf.d", "/usr/lib/dracut/dracut.conf.d", "/disk/by-uuid"] {
            try FileManager.default.createDirectory(atPath: root + directory, withIntermediateDirectories: true)
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func load(_ arguments: [String]) throws -> BuildConfiguration {
        var loader = ConfigurationLoader(environment: [:], ownModules: "/own/modules.d", kernelRelease: { "6.1.0-test" })
        loader.diskDirectory = root + "/disk"
        return try loader.load(arguments: ["--sysroot", root] + arguments, logger: Logger(level: .fatal))
    }

    func testStoredParametersSplitAsBashEvalDoes() throws {
        XCTAssertEqual(
            try ShellWords.split(" --kver '6.1' -m 'base bash' --no-kernel"),
            ["--kver", "6.1", "-m", "base bash", "--no-kernel"])
        XCTAssertEqual(try ShellWords.split(#"a\ b "c \"d\" \$e" 'f'"g"  "#), ["a b", #"c "d" $e"#, "fg"])
        XCTAssertEqual(try ShellWords.split("''"), [""])
        XCTAssertEqual(try ShellWords.split(" \n "), [])
        XCTAssertThrowsError(try ShellWords.split("-m 'base")) {
            XCTAssertEqual("\($0)", "unterminated ' in the stored build parameters")
        }
    }

    func testSshkeyIsSetBeforeTheConfigurationSoAConfigFileWins() throws {
        XCTAssertEqual(try load(["--sshkey", "/root/key"]).variables["sshkey"], "/root/key")
        try "sshkey=/from/conf\n".write(toFile: root + "/etc/dracut.conf", atomically: true, encoding: .utf8)
        XCTAssertEqual(try load(["--sshkey", "/root/key"]).variables["sshkey"], "/from/conf")
    }

    func testPersistentPolicyDropsMapperAndPoliciesWithoutADirectory() throws {
        XCTAssertEqual(try load(["--persistent-policy", "by-uuid"]).variables["persistent_policy"], "by-uuid")
        XCTAssertNil(try load(["--persistent-policy", "mapper"]).variables["persistent_policy"])
        XCTAssertNil(try load(["--persistent-policy", "by-nothing"]).variables["persistent_policy"])
        var variables = ShellVariables()
        variables["persistent_policy"] = "by-nothing"
        XCTAssertEqual(
            BuildSettings.checkPersistentPolicy(&variables, diskDirectory: root + "/disk"),
            "Invalid persistent policy, your system does not have a /dev/disk/by-nothing directory.")
    }

    func testListOptionsAppendAndFlagsSetTheirVariables() throws {
        let configuration = try load([
            "--fscks", "e2fsck", "--fscks", "fsck", "--add-fstab", "/a", "--fstab", "--ro-mnt",
            "--prefix", "/opt/p", "--loginstall", "/tmp/log", "--noimageifnotneeded",
        ])
        let variables = configuration.variables
        XCTAssertEqual(variables["fscks"], " e2fsck fsck ")
        XCTAssertEqual(variables.words("add_fstab"), ["/a"])
        XCTAssertEqual(variables["use_fstab"], "yes")
        XCTAssertEqual(variables["ro_mnt"], "yes")
        XCTAssertEqual(variables["prefix"], "/opt/p")
        XCTAssertEqual(variables["loginstall"], "/tmp/log")
        XCTAssertEqual(variables["noimageifnotneeded"], "yes")
        XCTAssertNil(try load(["--prefix", "/opt/p", "--noprefix"]).variables["prefix"])
    }

    func testRebuildIsNeitherStoredNorRefusedAndProfileIsStillRefused() throws {
        let configuration = try load(["--rebuild", "/boot/x.img", "--no-kernel"])
        XCTAssertFalse(configuration.storedParameters.contains("rebuild"))
        XCTAssertThrowsError(try load(["--profile"])) { XCTAssertEqual("\($0)", "option --profile is not supported yet") }
    }
}
