import Foundation
import XCTest
@testable import ShellBridge
import Support

/// Records every helper call and answers from a table.
final class RecordingHandler: HelperHandler {
    var requests: [HelperRequest] = []
    var replies: [String: HelperReply] = [:]
    func handle(_ request: HelperRequest) -> HelperReply {
        requests.append(request)
        return replies[request.helper] ?? .success
    }
}

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path
let shimPath = repositoryRoot + "/shim/kindling-shim.bash"

/// A module directory per test and a fresh module shell: what the bridge's tests start from.
class ModuleShellTestCase: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "kindling-bridge-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func makeModule(_ name: String, _ body: String) throws -> String {
        let moduleDirectory = directory + "/" + name
        try FileManager.default.createDirectory(atPath: moduleDirectory, withIntermediateDirectories: true)
        try body.write(toFile: moduleDirectory + "/module-setup.sh", atomically: true, encoding: .utf8)
        return moduleDirectory
    }

    func session() throws -> BashSession {
        try BashSession(shimPath: shimPath, environment: ["PATH": "/usr/bin:/bin"], logger: Logger(level: .fatal))
    }
}

final class BashSessionTests: ModuleShellTestCase {
    func testArgumentsWithSpacesQuotesNewlinesAndGlobsArriveIntact() throws {
        let tricky = ["a b", "it's", "say \"hi\"", "line1\nline2", "*", "[a-z]?", "", "$HOME", "back\\slash"]
        let module = try makeModule(
            "10tricky",
            """
            install() {
                inst_multiple -o 'a b' "it's" 'say "hi"' $'line1\\nline2' '*' '[a-z]?' '' '$HOME' 'back\\slash'
            }
            """)
        let handler = RecordingHandler()
        let shell = try session()
        let result = try shell.call(module: "tricky", directory: module, function: "install", mode: .run, handler: handler)
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(handler.requests, [HelperRequest(helper: "inst_multiple", arguments: ["-o"] + tricky, sysroot: "")])
    }

    /// dracut's helpers read hostonly, dracutsysrootdir and DRACUT_RESOLVE_DEPS at each call, and
    /// module code sets them for one call (squash's loader: `dracutsysrootdir="$squash_dir" inst`).
    func testVariablesSetForOneCallTravelWithIt() throws {
        let module = try makeModule(
            "10percall",
            """
            install() {
                inst /etc/a
                DRACUT_RESOLVE_DEPS=1 dracutsysrootdir=/moved hostonly='' inst /etc/b
                inst_multiple /etc/c
            }
            """)
        let handler = RecordingHandler()
        let shell = try session()
        try shell.evaluate("hostonly=-h; dracutsysrootdir=/sysroot")
        _ = try shell.call(module: "percall", directory: module, function: "install", mode: .run, handler: handler)
        XCTAssertEqual(
            handler.requests,
            [
                HelperRequest(helper: "inst", arguments: ["/etc/a"], hostonly: "-h", sysroot: "/sysroot"),
                HelperRequest(
                    helper: "inst", arguments: ["/etc/b"], hostonly: "", sysroot: "/moved", resolvesDependencies: true),
                HelperRequest(helper: "inst_multiple", arguments: ["/etc/c"], hostonly: "-h", sysroot: "/sysroot"),
            ])
    }

    /// dracut-ng's squash-lib installs into a second tree with `dstdir="$squashdir" ...`, and asks
    /// for libraries now with `DRACUT_RESOLVE_LAZY="" inst_multiple ...` (dracut-ng resolves unless
    /// DRACUT_RESOLVE_LAZY is set and not empty); ln_r goes to dstdir too.
    func testDstdirAndAnEmptyResolveLazyTravelWithTheCall() throws {
        let module = try makeModule(
            "10dstdir",
            """
            install() {
                dstdir=/squash inst /etc/a
                DRACUT_RESOLVE_LAZY="" dstdir=/squash inst_multiple /etc/b
                inst /etc/c
                dstdir=/second ln_r /usr/bin/x /bin/x
            }
            """)
        let handler = RecordingHandler()
        let shell = try session()
        try shell.evaluate("__kindling_dracut_ng=1; declare -gx DRACUT_RESOLVE_LAZY=1")
        _ = try shell.call(module: "dstdir", directory: module, function: "install", mode: .run, handler: handler)
        XCTAssertEqual(
            handler.requests,
            [
                HelperRequest(helper: "inst", arguments: ["/etc/a"], sysroot: "", destination: "/squash"),
                HelperRequest(
                    helper: "inst_multiple", arguments: ["/etc/b"], sysroot: "", resolvesDependencies: true,
                    destination: "/squash"),
                HelperRequest(helper: "inst", arguments: ["/etc/c"], sysroot: ""),
                HelperRequest(helper: "ln_r", arguments: ["/usr/bin/x", "/bin/x"], sysroot: "", destination: "/second"),
            ])
    }

    func testHelperStatusAndOutputReachModuleCode() throws {
        let module = try makeModule(
            "10query",
            """
            depends() {
                local found
                found=$(find_binary bash) || return 1
                echo "got:$found"
                find_binary missing || echo "status:$?"
            }
            """)
        let handler = RecordingHandler()
        let shell = try session()
        handler.replies["find_binary"] = HelperReply(status: 0, output: "/usr/bin/bash\n")
        let first = try shell.call(module: "query", directory: module, function: "depends", mode: .capture, handler: handler)
        XCTAssertEqual(first.output, "got:/usr/bin/bash\n/usr/bin/bash")
        handler.replies["find_binary"] = HelperReply(status: 3, output: "")
        let second = try shell.call(module: "query", directory: module, function: "depends", mode: .capture, handler: handler)
        XCTAssertEqual(second.status, 1)
    }

    /// Engine code arrives whole and the protocol stays in step when module code has chosen a
    /// multibyte locale: the shim reads a body by its length in bytes, not in characters (a
    /// character count would wait for bytes that never come: the shell is given 20 s).
    func testEvaluatedCodeArrivesWholeWhateverLocaleModuleCodeChose() throws {
        let module = try makeModule("10locale", "install() { export LC_ALL=C.UTF-8; }\n")
        let shell = try session()
        XCTAssertEqual(
            try shell.call(module: "locale", directory: module, function: "install", mode: .run, handler: RecordingHandler())
                .status, 0)
        let evaluation = Evaluation(shell)
        let finished = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let shell = evaluation.shell
            evaluation.statuses = [
                try? shell.evaluate("declare -g body='\u{E9} \u{FC} \\\\ end'\n\n\n").status,
                try? shell.evaluate("[[ $body == $'\\xc3\\xa9 \\xc3\\xbc \\\\\\\\ end' && ${#body} == 10 ]]").status,
                try? shell.evaluate("(builtin exit 7)").status,
            ]
            finished.signal()
        }
        guard finished.wait(timeout: .now() + 20) == .success else {
            shell.terminate()
            return XCTFail("the shell did not answer: it waited for more of a body than was sent")
        }
        XCTAssertEqual(evaluation.statuses, [0, 0, 7])
    }

    /// The shell, handed to the thread that waits for it, and what it answered.
    private final class Evaluation: @unchecked Sendable {
        let shell: BashSession
        var statuses: [Int32?] = []
        init(_ shell: BashSession) { self.shell = shell }
    }

    func testGlobalsPersistAcrossCallsAndFunctionsAreUnsetBetweenModules() throws {
        let first = try makeModule("10first", "counter=$(( ${counter:-0} + 1 ))\ninstall() { shared=from-first; }\n")
        let second = try makeModule("20second", "check() { [[ $shared == from-first && $counter == 2 ]]; }\n")
        let shell = try session()
        let handler = RecordingHandler()
        XCTAssertEqual(try shell.call(module: "first", directory: first, function: "install", mode: .run, handler: handler).status, 0)
        // The second module defines no install(): the default stub runs, not the first module's.
        XCTAssertEqual(try shell.call(module: "second", directory: second, function: "check", mode: .hostCheck, handler: handler).status, 1)
        _ = try shell.call(module: "first", directory: first, function: "install", mode: .run, handler: handler)
        XCTAssertEqual(try shell.call(module: "second", directory: second, function: "check", mode: .hostCheck, handler: handler).status, 0)
    }

    func testCheckModesSeeHostonlyAsDracutPassesIt() throws {
        let module = try makeModule(
            "10probe",
            """
            check() { echo "arg=[$1] hostonly=[${hostonly-unset}] mount=[${mount_needs-}]" > "$probe"; return 255; }
            """)
        let shell = try session()
        let handler = RecordingHandler()
        try shell.evaluate("hostonly=-h; probe=\(shellQuote(directory + "/probe"))")
        let expectations: [(ModuleCallMode, String)] = [
            (.genericCheck, "arg=[] hostonly=[unset] mount=[]"),
            (.hostCheck, "arg=[-h] hostonly=[-h] mount=[]"),
            (.mountCheck, "arg=[0] hostonly=[-h] mount=[1]"),
        ]
        for (mode, expected) in expectations {
            let result = try shell.call(module: "probe", directory: module, function: "check", mode: mode, handler: handler)
            XCTAssertEqual(result.status, 255)
            XCTAssertEqual(try String(contentsOfFile: directory + "/probe", encoding: .utf8), expected + "\n", "\(mode)")
        }
        // hostonly is restored after a generic check.
        XCTAssertEqual(try shell.evaluate("[[ $hostonly == -h ]]").status, 0)
    }

    func testExitInModuleCodeIsReportedWithTheModuleName() throws {
        let module = try makeModule("10quitter", "install() { exit 7; }\n")
        let shell = try session()
        XCTAssertThrowsError(try shell.call(module: "quitter", directory: module, function: "install", mode: .run, handler: RecordingHandler())) {
            error in
            XCTAssertEqual("\(error)", "module 'quitter' ended the build: its shell exited with status 7 in install()")
        }
    }

    func testLogHelpersReadStandardInputAndAlwaysSucceed() throws {
        let module = try makeModule("10logger", "install() { printf 'one\\ntwo' | dinfo; dfatal boom; echo \"after:$?\" >\"$out\"; }\n")
        let shell = try session()
        try shell.evaluate("out=\(shellQuote(directory + "/out"))")
        let logger = Logger(level: .fatal)
        var lines: [String] = []
        logger.addSink { lines.append($0) }
        let loggingShell = try BashSession(shimPath: shimPath, environment: ["PATH": "/usr/bin:/bin"], logger: logger)
        try loggingShell.evaluate("out=\(shellQuote(directory + "/out"))")
        _ = try loggingShell.call(module: "logger", directory: module, function: "install", mode: .run, handler: RecordingHandler())
        XCTAssertEqual(lines, ["logger: one", "logger: two", "logger: boom"])
        XCTAssertEqual(try String(contentsOfFile: directory + "/out", encoding: .utf8), "after:0\n")
        shell.terminate()
    }

    func testModuleOutputIsLabelledWithItsModuleEvenWithoutAFinalNewline() throws {
        let first = try makeModule("10first", "install() { echo one; printf 'no newline'; }\n")
        let second = try makeModule("20second", "install() { echo two; }\n")
        let logger = Logger(level: .fatal)
        var lines: [String] = []
        let lock = Lock()
        logger.addSink { line in lock.withLock { lines.append(line) } }
        let shell = try BashSession(shimPath: shimPath, environment: ["PATH": "/usr/bin:/bin"], logger: logger)
        _ = try shell.call(module: "first", directory: first, function: "install", mode: .run, handler: RecordingHandler())
        _ = try shell.call(module: "second", directory: second, function: "install", mode: .run, handler: RecordingHandler())
        XCTAssertEqual(lock.withLock { lines }, ["first: one", "first: no newline", "second: two"])
    }

    func testShimIsCleanUnderNounset() throws {
        XCTAssertTrue(shimFiles.contains(shimPath), "\(shimFiles)")
        for file in shimFiles {
            let output = try runCommand("/bin/bash", ["-n", file])
            XCTAssertEqual(output.status, 0, output.errorText)
        }
        // Source the shim under set -u with no engine: it must stop at the first missing variable
        // check, naming it, rather than on some other unset variable.
        let strict = try runCommand("/bin/bash", ["-u", "-c", "source \(shellQuote(shimPath))"])
        XCTAssertNotEqual(strict.status, 0)
        XCTAssertTrue(strict.errorText.contains("KINDLING_TO_ENGINE"), strict.errorText)
    }

    func testPureShellHelpers() throws {
        let shell = try session()
        let handler = RecordingHandler()
        let checks = [
            "[[ $(convert_abs_rel /usr/bin/sh /usr/lib/x/y) == ../lib/x/y ]]",
            "[[ $(convert_abs_rel /bin/sh /bin/bash) == bash ]]",
            "[[ $(convert_abs_rel /a/b/c /d) == ../../d ]]",
            "[[ $(trim '  a b  ') == 'a b' ]]",
            "strstr 'hello world' 'o w'",
            "! strstr abc x",
            "mods_to_load=' a b '; modules_loaded=' c '; dracut_module_included b && dracut_module_included c && ! dracut_module_included d",
            "vercmp 1.10 gt 1.9 && vercmp 2.0 eq 2 && vercmp 059 lt 100 && vercmp 1.2.3 le 1.2.3 && ! vercmp 1.2 ge 1.10",
            "vercmp 5.14 ne 5.15 && ! vercmp 3 ne 3.0",
            "[[ $(a='x y' empty='' print_vars a empty unset_name) == 'a=\"x y\"' ]]",
            "[[ $(fs_get_option rw,subvol=@root,compress=zstd subvol) == @root ]] && ! fs_get_option rw,noatime subvol",
            "[[ $(shorten_persistent_dev /dev/disk/by-uuid/1234) == UUID=1234 ]]",
            "[[ $(shorten_persistent_dev /dev/disk/by-partlabel/boot) == PARTLABEL=boot ]]",
            "[[ $(shorten_persistent_dev /dev/sda1) == /dev/sda1 ]]",
            "[[ $(get_maj_min /dev/null) == 1:3 ]] && ! get_maj_min /no/such/device",
            "[[ $(find_mp_fstype /) == \"$(findmnt -n -o FSTYPE /)\" && -n $(find_mp_fstype /) ]]",
            "[[ $(find_root_block_device) == \"$(findmnt -n -o MAJ:MIN / | tr -d ' ')\" ]]",
            "[[ $(find_mp_fsopts /) == \"$(findmnt -n -o OPTIONS /)\" ]]",
            "[[ $(get_persistent_dev /dev/null) == /dev/null ]]",
            "[[ $(get_maj_min /dev/null; echo .) == 1:3. ]]",
            "[[ $(get_persistent_dev /no/such/device) == /no/such/device && $(get_persistent_dev tag) == tag ]]",
            "! check_block_and_slaves_all true '' && ! check_block_and_slaves true ''",
            "[[ $(expand_persistent_dev UUID=ABCD-12) == /dev/disk/by-uuid/abcd-12 ]]",
            "[[ $(expand_persistent_dev LABEL=Root) == /dev/disk/by-label/Root ]] && [[ $(expand_persistent_dev /dev/sda) == /dev/sda ]]",
            "! block_is_nbd 8:0 && ! block_is_netdevice 1:3",
        ]
        for check in checks {
            XCTAssertEqual(try shell.evaluate("set -u; \(check); __s=$?; set +u; (exit $__s)", handler: handler).status, 0, check)
        }
    }

    func testHostFilesystemsAreVisitedWithTheirTypes() throws {
        let shell = try session()
        let handler = RecordingHandler()
        let script = """
            declare -A host_fs_types=([/dev/vdb]=ext4 [/dev/vdc]=xfs)
            seen=()
            visit() { seen+=("$1=$2"); [[ $2 == xfs ]]; }
            for_each_host_dev_fs visit; status=$?
            declare -A host_fs_types=()
            for_each_host_dev_fs visit; empty=$?
            [[ $status == 0 && $empty == 1 && ${#seen[@]} == 2 ]]
            """
        XCTAssertEqual(try shell.evaluate(script, handler: handler).status, 0)
    }

    /// The walk goes from a device-mapper device to the partition it is built on, then to that
    /// partition's disk; `_all` visits all of them, the other stops at the first success.
    func testBlockWalkFollowsSlavesAndPartitions() throws {
        let sys = directory + "/sys"
        let setup = try runCommand(
            "/bin/bash",
            [
                "-c",
                """
                set -e
                cd \(shellQuote(directory))
                mkdir -p sys/devices/pci/block/sda/sda1 sys/devices/virtual/block/dm-0/slaves sys/dev/block
                echo 8:0 >sys/devices/pci/block/sda/dev
                echo 8:1 >sys/devices/pci/block/sda/sda1/dev
                echo 1 >sys/devices/pci/block/sda/sda1/partition
                echo 254:0 >sys/devices/virtual/block/dm-0/dev
                ln -s ../../../../pci/block/sda/sda1 sys/devices/virtual/block/dm-0/slaves/sda1
                ln -s ../../devices/pci/block/sda sys/dev/block/8:0
                ln -s ../../devices/pci/block/sda/sda1 sys/dev/block/8:1
                ln -s ../../devices/virtual/block/dm-0 sys/dev/block/254:0
                """,
            ])
        XCTAssertEqual(setup.status, 0, setup.errorText)

        let shell = try session()
        let handler = RecordingHandler()
        let script = """
            walk() {
                __kindling_sys=\(shellQuote(sys))
                seen=()
                record() { seen+=("$1"); false; }
                check_block_and_slaves_all record 254:0 && return 11
                [[ ${seen[*]} == "254:0 8:1 8:0" ]] || return 12
                seen=()
                partition() { seen+=("$1"); [[ $1 == 8:1 ]]; }
                check_block_and_slaves partition 254:0 || return 13
                [[ ${seen[*]} == "254:0 8:1" ]] || return 14
                check_block_and_slaves record 9:9 && return 15
                return 0
            }
            walk
            """
        XCTAssertEqual(try shell.evaluate(script, handler: handler).status, 0)
    }

    /// With hostonly and no --no-hostonly-default-device, / is a host device, with its type.
    func testTheHostsRootDeviceIsFoundWithItsFilesystemType() throws {
        let shell = try session()
        let handler = RecordingHandler()
        let script = """
            found() {
                declare -gA host_fs_types=(); declare -ga host_devs=() root_devs=() swap_devs=()
                hostonly=-h hostonly_default_device=yes
                __kindling_find_host_devices
                local root; root=$(findmnt -n -o MAJ:MIN / | tr -d ' ')
                [[ ${root_devs[0]} == "$root" || ${root_devs[0]} -ef /dev/block/$root ]] || return 11
                [[ " ${host_devs[*]} " == *" ${root_devs[0]} "* ]] || return 12
                [[ " ${host_fs_types[*]} " == *" $(findmnt -n -o FSTYPE /) "* ]] || return 13
                declare -gA host_fs_types=(); declare -ga host_devs=() root_devs=()
                hostonly_default_device=no
                __kindling_find_host_devices
                ((${#host_devs[@]} == 0 && ${#host_fs_types[@]} == 0)) || return 14
            }
            found
            """
        XCTAssertEqual(try shell.evaluate(script, handler: handler).status, 0)
    }

    func testUnansweredHelpersAskTheEngineNamingThemselves() throws {
        let shell = try session()
        let handler = RecordingHandler()
        handler.replies["ip_params_for_remote_addr"] = .failure
        handler.replies["check_vol_slaves"] = .failure
        let status = try shell.evaluate("ip_params_for_remote_addr 192.0.2.1 || check_vol_slaves vg 8:1", handler: handler).status
        XCTAssertEqual(status, 1)
        XCTAssertEqual(handler.requests.map(\.helper), ["ip_params_for_remote_addr", "check_vol_slaves"])
    }

    /// btrfs_devs reads a mounted filesystem's members from sysfs; zfs_devs takes the disks, by
    /// their real paths, from `zpool list`; neither asks the engine.
    func testMultiDeviceFilesystemMembers() throws {
        let setup = try runCommand(
            "/bin/bash",
            [
                "-c",
                """
                set -e
                cd \(shellQuote(directory))
                mkdir -p sys/fs/btrfs/f00d/devices dev/disk/by-id
                ln -s ../../../../devices/virtual/block/loop3 sys/fs/btrfs/f00d/devices/loop3
                ln -s ../../../../devices/pci/cciss/c0d0 'sys/fs/btrfs/f00d/devices/cciss!c0d0'
                touch dev/sdb1 dev/sdc1
                ln -s ../../sdb1 dev/disk/by-id/disk-b
                mkdir bin
                printf '%s\n' '#!/bin/bash' '[[ $* == "-n -o UUID --target /mnt/pool" ]] && echo f00d' >bin/findmnt
                printf '%s\n' '#!/bin/bash' '[[ $* == "list -H -v -P tank" ]] || exit 1' 'printf "%s\n" "$ZPOOL_LISTING"' >bin/zpool
                chmod +x bin/findmnt bin/zpool
                """,
            ])
        XCTAssertEqual(setup.status, 0, setup.errorText)
        let shell = try session()
        let handler = RecordingHandler()
        // The stand-ins are commands on PATH: the shim runs commands with `builtin command`, so a
        // shell function of the same name is not what it runs.
        let script = """
            members() {
                __kindling_sys=\(shellQuote(directory + "/sys"))
                PATH=\(shellQuote(directory + "/bin")):$PATH
                export ZPOOL_LISTING
                ZPOOL_LISTING=$(printf 'tank\\t9G\\t1G\\n\\tmirror-0\\t9G\\n\\t%s\\t-\\n\\t%s\\t-\\n' \\
                    \(shellQuote(directory))/dev/disk/by-id/disk-b \(shellQuote(directory))/dev/sdc1)
                [[ $(btrfs_devs /mnt/pool | tr '\\n' ' ') == "/dev/cciss/c0d0 /dev/loop3 " ]] || return 11
                btrfs_devs /elsewhere && return 12
                [[ $(zfs_devs tank/ROOT/debian | tr '\\n' ' ') == "$(readlink -f "$1")/dev/sdb1 $(readlink -f "$1")/dev/sdc1 " ]] || return 13
                zfs_devs other && return 14
                return 0
            }
            members \(shellQuote(directory))
            """
        XCTAssertEqual(try shell.evaluate(script, handler: handler).status, 0)
        XCTAssertEqual(handler.requests.map(\.helper), [])
    }
}
