import Foundation
import Testing

@testable import UnifiedKernelImage

@Suite struct UnifiedKernelImageWriterTests {
    /// Writes the image of `sections` on `stub` into a temporary file and reads it back.
    func written(
        _ stub: StubFixture = StubFixture(), _ sections: [AddedSection], replacing: Set<String> = []
    ) throws -> [UInt8] {
        let path = NSTemporaryDirectory() + "uki-test-\(UUID().uuidString)"
        defer { unlink(path) }
        let descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        #expect(descriptor >= 0)
        defer { close(descriptor) }
        let writer = UnifiedKernelImageWriter(stub: try PEImage(bytes: stub.bytes), sections: sections, replacing: replacing)
        try writer.write(to: descriptor)
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test func addedSectionsFollowTheStubAlignedAndReadBack() throws {
        let kernel = [UInt8](repeating: 0xAB, count: 5000)
        let kernelPath = NSTemporaryDirectory() + "uki-kernel-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: kernelPath, contents: Data(kernel))
        defer { unlink(kernelPath) }
        let image = try written(
            StubFixture(),
            [
                AddedSection(name: ".osrel", contents: .bytes(Array("ID=debian\n".utf8))),
                AddedSection(name: ".cmdline", contents: .bytes(Array(" root=/dev/vda \0".utf8))),
                AddedSection(name: ".linux", contents: .file(path: kernelPath)),
                AddedSection(name: ".initrd", contents: .bytes([1, 2, 3])),
            ])
        let pe = try PEImage(bytes: image)
        #expect(pe.sections.map(\.name) == [".text", ".sbat", ".osrel", ".cmdline", ".linux", ".initrd"])
        let stub = try PEImage(bytes: StubFixture().bytes)
        for section in stub.sections {
            #expect(pe.contents(of: section) == stub.contents(of: section), "the stub's \(section.name) is kept as it is")
            #expect(pe.section(named: section.name) == section)
        }
        #expect(pe.contents(of: pe.section(named: ".osrel")!).map(Array.init) == Array("ID=debian\n".utf8))
        #expect(pe.contents(of: pe.section(named: ".linux")!).map(Array.init) == kernel)
        #expect(pe.contents(of: pe.section(named: ".initrd")!).map(Array.init) == [1, 2, 3])
        // Addresses ascend without overlap, each on the section alignment; data on the file alignment.
        for (before, after) in zip(pe.sections, pe.sections.dropFirst()) {
            #expect(UInt64(after.virtualAddress) >= before.virtualEnd)
            #expect(after.virtualAddress % 0x1000 == 0)
            #expect(after.pointerToRawData % 0x200 == 0)
            #expect(after.pointerToRawData >= before.pointerToRawData + before.sizeOfRawData)
        }
        #expect(pe.sections.dropFirst(2).allSatisfy { $0.characteristics == PESection.readOnlyData })
        #expect(image.count == Int(pe.sections.last!.pointerToRawData + pe.sections.last!.sizeOfRawData))
        let optional = pe.optionalHeaderOffset
        let sizeOfImage = PEImage.u32(image, optional + 56)
        #expect(sizeOfImage == 0x8000, "the initrd's page at 0x7000 ends the image: 5000 bytes of kernel took two")
        #expect(PEImage.u32(image, optional + 8) == 0x200 + 0x200 + 0x200 + 0x1400 + 0x200, "the stub's and each added section's raw size")
        #expect(PEImage.u32(image, optional + 64) == referenceChecksum(image, checksumOffset: optional + 64))
    }

    @Test func theChecksumIsTheSameWhateverTheChunks() throws {
        // An odd-sized section puts the next write at an odd offset: the sum must carry the byte over.
        for size in [1, 2, 511, 513, 70_001] {
            let image = try written(StubFixture(), [AddedSection(name: ".x", contents: .bytes(Array(repeating: 0xFF, count: size)))])
            let pe = try PEImage(bytes: image)
            #expect(PEImage.u32(image, pe.optionalHeaderOffset + 64) == referenceChecksum(image, checksumOffset: pe.optionalHeaderOffset + 64))
        }
    }

    @Test func aReplacedSectionLosesItsEntryAndTheNewOneComesLast() throws {
        let image = try written(
            StubFixture(), [AddedSection(name: ".sbat", contents: .bytes(Array("merged\n".utf8)))], replacing: [".sbat"])
        let pe = try PEImage(bytes: image)
        #expect(pe.sections.map(\.name) == [".text", ".sbat"])
        #expect(pe.contents(of: pe.sections[1]).map(Array.init) == Array("merged\n".utf8))
        #expect(pe.sections[1].virtualAddress == 0x3000, "after the dropped section's range, not over it")
    }

    @Test func aSignedStubIsRefused() throws {
        var stub = StubFixture()
        stub.signed = true
        #expect(throws: PEImageError.signed) { try written(stub, [AddedSection(name: ".linux", contents: .bytes([1]))]) }
    }

    @Test func headersWithoutRoomAreRefusedNamingTheCount() throws {
        var stub = StubFixture()
        // The table starts at 0x44 + 20 + 240 = 0x148: 0x200 holds four entries, three are the stub's.
        stub.sizeOfHeaders = 0x200
        stub.sectionNames = [".text", ".data", ".sbat"]
        let sections = (1...2).map { AddedSection(name: ".s\($0)", contents: .bytes([UInt8($0)])) }
        #expect(throws: PEImageError.noRoomForSectionHeaders(needed: 2, available: 1)) { try written(stub, sections) }
    }

    @Test func longSectionNamesAreRefused() throws {
        #expect(throws: PEImageError.sectionName(".toolongname")) {
            try written(StubFixture(), [AddedSection(name: ".toolongname", contents: .bytes([1]))])
        }
    }

    @Test func notAPEFileIsNamedSo() throws {
        #expect(throws: PEImageError.notPE("no MZ header")) { try PEImage(bytes: [UInt8](repeating: 0, count: 100)) }
        var cut = StubFixture().bytes
        cut.removeLast(0x300)
        #expect(throws: PEImageError.self) { try PEImage(bytes: cut) }
    }

    @Test func aFileAlignmentOver64KiBIsRefused() throws {
        var bytes = StubFixture().bytes
        // The optional header's FileAlignment: 0x44 + 20 + 36.
        bytes.replaceSubrange(0x7C..<0x80, with: [0, 0, 2, 0])
        #expect(throws: PEImageError.notPE("file alignment 0x20000 is over 64 KiB")) { try PEImage(bytes: bytes) }
    }

    @Test func writingIsDeterministic() throws {
        let sections = [AddedSection(name: ".linux", contents: .bytes(Array(0..<255)))]
        #expect(try written(StubFixture(), sections) == written(StubFixture(), sections))
    }
}

@Suite struct SBATMergeTests {
    @Test func theVersionLineComesOnceThenTheUsersThenTheStubs() {
        let stub = Array((SBATMerge.versionLine + "\nsystemd,1,The systemd Developers,systemd,252,https://systemd.io/\n").utf8) + [0, 0]
        let merged = String(
            decoding: SBATMerge.merged(user: "kindling,1,Test,kindling,1,https://example.invalid/", sections: [stub[...]]), as: UTF8.self)
        #expect(
            merged == SBATMerge.versionLine + "\nkindling,1,Test,kindling,1,https://example.invalid/\n"
                + "systemd,1,The systemd Developers,systemd,252,https://systemd.io/\n")
    }

    @Test func aUserVersionLineIsNotRepeated() {
        let merged = String(decoding: SBATMerge.merged(user: SBATMerge.versionLine, sections: []), as: UTF8.self)
        #expect(merged == SBATMerge.versionLine + "\n")
    }
}
