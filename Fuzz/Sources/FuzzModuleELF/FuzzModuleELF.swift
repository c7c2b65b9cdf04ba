// ModuleELFReader, which maps every uncompressed .ko of a module walk and reads its section
// table, .symtab, .strtab, __versions and .modinfo directly. Offsets come from the file; a
// corrupt module must give a KernelModuleError, never a read outside the mapping.
@testable import Installer
import FuzzKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModuleELF(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let path = Scratch.write(Array(UnsafeBufferPointer(start: data, count: size)), to: "module.ko")
    do {
        let facts = try ModuleELFReader(path: path).read()
        for name in facts.importedSymbols + facts.firmware {
            fuzzCheck(!name.utf8.contains(0), "a name with a NUL byte: \(name.debugDescription)")
        }
    } catch {
        _ = error.description
    }
    return 0
}
