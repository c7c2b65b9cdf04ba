// The small text formats the installer reads from the host, one per first byte of the input:
// modules.dep, ld.so.conf (with includes), a script's `#!` line, instmods arguments and the
// KEY"value" scan of udev rules.
@testable import Installer
@testable import ShellBridge
import FuzzKit

private let sysroot = Scratch.emptyDirectory("sysroot")
private let moduleDirectory = Scratch.emptyDirectory("modules")

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>)
    -> Int32
{
    _ = (sysroot, moduleDirectory)  // created first: globals are initialised on first use
    _ = Scratch.emptyDirectory("sysroot/etc")
    _ = Scratch.emptyDirectory("sysroot/etc/ld.so.conf.d")
    return 0
}

private func fuzzModulesDep(_ bytes: [UInt8]) {
    Scratch.write(bytes, to: "modules/modules.dep")
    do {
        let file = try ModuleDependencyFile(moduleDirectory: moduleDirectory)
        for (module, dependencies) in file.dependencies {
            fuzzCheck(module.utf8.first == UInt8(ascii: "/"), "module path '\(module)' is not absolute")
            let holds = try file.dependencies(ofModuleAt: module) == dependencies
            fuzzCheck(holds, "lookup disagrees with the table")
        }
    } catch {
        _ = error.description
    }
}

/// The input is split at NUL bytes into /etc/ld.so.conf and three files under ld.so.conf.d,
/// so includes, globs and cycles (a file including itself) are all reachable.
private func fuzzLoaderConfiguration(_ bytes: [UInt8]) {
    let files = bytes.split(separator: 0, maxSplits: 3, omittingEmptySubsequences: false)
    let names = ["etc/ld.so.conf", "etc/ld.so.conf.d/a.conf", "etc/ld.so.conf.d/b.conf", "etc/ld.so.conf.d/c"]
    for (index, name) in names.enumerated() {
        Scratch.write(index < files.count ? Array(files[index]) : [], to: "sysroot/" + name)
    }
    do {
        let configuration = try LoaderConfiguration(paths: SysrootPaths(sysroot: sysroot))
        fuzzCheck(Set(configuration.directories).count == configuration.directories.count, "a directory listed twice")
        for directory in configuration.directories {
            fuzzCheck(directory.utf8.first == UInt8(ascii: "/"), "relative directory '\(directory)'")
            fuzzCheck(directory == "/" || !directory.hasSuffix("/"), "directory '\(directory)' keeps a trailing slash")
        }
    } catch {
        _ = error.description
    }
}

private func fuzzScriptHeader(_ bytes: [UInt8]) {
    guard let interpreter = ScriptHeader.interpreter(inHeader: bytes) else { return }
    fuzzCheck(!interpreter.isEmpty, "empty interpreter")
    fuzzCheck(
        !interpreter.contains(" ") && !interpreter.contains("\t") && !interpreter.contains("\n"),
        "interpreter '\(interpreter)' holds a separator")
}

private func fuzzModuleArgument(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    switch ModuleArgument(text) {
    case .file(let path): fuzzCheck(path == text && path.hasPrefix("/"), "file argument changed")
    case .subdirectory(let directory): fuzzCheck("=" + directory == text, "subdirectory argument changed")
    // One module suffix comes off, as dracut's ${mod%.ko*} takes it: "x.ko.ko.gz" names "x.ko".
    case .name(let name):
        fuzzCheck(text == name || [".ko.zst", ".ko.xz", ".ko.gz", ".ko"].contains { text == name + $0 }, "name '\(name)' from '\(text)'")
    }
}

private func fuzzUdevValue(_ bytes: [UInt8], runStyle: Bool) {
    let line = Substring(String(decoding: bytes, as: UTF8.self))
    for key in runStyle ? ["RUN"] : ["PROGRAM=", "IMPORT{program}=", "OWNER=", "GROUP="] {
        guard let value = UdevRules.lastValue(in: line, key: key, runStyle: runStyle) else { continue }
        fuzzCheck(!value.isEmpty && !value.contains(" ") && !value.contains("\""), "value '\(value)' of \(key)")
        let openings = runStyle ? ["RUN+\"", "RUN=\"", "RUN+=\"", "RUN==\""] : [key + "\"", key + "=\""]
        fuzzCheck(
            openings.contains { line.contains($0 + value) },
            "value '\(value)' of \(key) is not in the line")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTextFormats(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let selector = input.byte()
    let bytes = input.rest()
    switch selector % 6 {
    case 0: fuzzModulesDep(bytes)
    case 1: fuzzLoaderConfiguration(bytes)
    case 2: fuzzScriptHeader(bytes)
    case 3: fuzzModuleArgument(bytes)
    case 4: fuzzUdevValue(bytes, runStyle: false)
    default: fuzzUdevValue(bytes, runStyle: true)
    }
    return 0
}
