// ELFParser, which reads the interpreter, DT_NEEDED, RPATH, RUNPATH and SONAME of every binary and
// library that goes into an image, on hostile files: every offset, size and count comes from the
// file. Errors must be ELFErrors, and no read may exceed BoundedFileReader's limit.
@testable import Installer
import FuzzKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzELFParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let path = Scratch.write(bytes, to: "binary")
    fuzzCheck(ELFFile.isELF(at: path) == bytes.starts(with: ELFParser.magic), "isELF disagrees with the magic number")
    _ = ScriptHeader.interpreter(ofScriptAt: path)
    do {
        let file = try ELFFile(contentsOf: path)
        fuzzCheck(bytes.starts(with: ELFParser.magic), "parsed a file without the ELF magic")
        for name in file.neededLibraries + [file.rpath, file.runpath, file.soname, file.interpreter].compactMap({ $0 }) {
            fuzzCheck(!name.utf8.contains(0), "a string with a NUL byte: \(name.debugDescription)")
        }
        if let interpreter = file.interpreter {
            fuzzCheck(!interpreter.isEmpty && interpreter.utf8.count < 4096, "interpreter path of \(interpreter.utf8.count) bytes")
        }
        _ = file.isLoadable(by: file)
        _ = file.effectiveRPath
    } catch {
        // ELFError is the only error ELFFile(contentsOf:) can throw (typed throws).
        _ = error.description
    }
    return 0
}
