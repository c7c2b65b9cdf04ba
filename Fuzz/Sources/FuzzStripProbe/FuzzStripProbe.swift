// StripProbe, which reads an image file's ELF header, section table and section names to decide
// whether the strip pass must run strip on it. Offsets and sizes come from the file: no read may
// ask for more than the file holds (the header excepted), a read past the end gets nil, and the
// verdicts must hold what the pass relies on.
import FuzzKit
import StagedTree

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStripProbe(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    for aggressive in [false, true] {
        let verdict = StripProbe.verdict(size: UInt64(bytes.count), aggressive: aggressive) { offset, count in
            // Only the ELF header may be asked for whole from a shorter file; every other read is
            // bounded by the file's size before it is made, so a hostile size field cannot make
            // the probe allocate more than the file holds.
            fuzzCheck(count >= 0 && count <= max(bytes.count, 64), "a read of \(count) bytes from \(bytes.count)")
            // Past the end: nil, as pread's short count gives in the strip pass.
            guard offset <= UInt64(bytes.count), UInt64(count) <= UInt64(bytes.count) - offset else { return nil }
            return Array(bytes[Int(offset)..<Int(offset) + count])
        }
        // Not an ELF file: strip refuses it, so the probe must say strip leaves it alone.
        if !bytes.starts(with: [0x7F, 0x45, 0x4C, 0x46]) {
            fuzzCheck(verdict == .unchanged, "a non-ELF file sent to strip")
        }
        // Aggressive stripping drops symbol tables too: every ELF file goes to strip.
        if aggressive && bytes.starts(with: [0x7F, 0x45, 0x4C, 0x46]) {
            fuzzCheck(verdict == .mayChange, "an ELF file left alone by --aggressive-strip")
        }
    }
    return 0
}
