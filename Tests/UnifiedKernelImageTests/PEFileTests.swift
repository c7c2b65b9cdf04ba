import Foundation
import Testing

@testable import UnifiedKernelImage

@Suite struct PEFileTests {
    /// A stub with a large .linux appended, written to a temporary file.
    func writtenFile(kernel: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "pe-file-test-\(UUID().uuidString)"
        let descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        #expect(descriptor >= 0)
        defer { close(descriptor) }
        let sections = [
            AddedSection(name: ".cmdline", contents: .bytes(Array("quiet\0".utf8))),
            AddedSection(name: ".linux", contents: .bytes(kernel)),
        ]
        try UnifiedKernelImageWriter(stub: try PEImage(bytes: StubFixture().bytes), sections: sections).write(to: descriptor)
        return path
    }

    @Test func sectionsAreReadWithoutReadingTheWholeFile() throws {
        let kernel = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let path = try writtenFile(kernel: kernel)
        defer { unlink(path) }
        let file = try #require(PEFile(path: path))
        #expect(file.image.bytes.count == PEFile.headerLimit, "only the headers' 64 KiB are held")
        let linux = try #require(file.image.section(named: ".linux"))
        #expect(file.image.contents(of: linux) == nil, "the section lies beyond the headers read")
        #expect(file.contents(of: linux) == kernel)
        #expect(file.contents(of: linux, limit: 10) == Array(kernel.prefix(10)))
        var chunks: [[UInt8]] = []
        #expect(
            file.forEachChunk(of: linux, chunkSize: 65_536) {
                chunks.append(Array($0)); return true
            })
        #expect(chunks.map(\.count) == [65_536, 65_536, 65_536, 65_536, 37_856])
        #expect(Array(chunks.joined()) == kernel)
        #expect(!file.forEachChunk(of: linux) { _ in false }, "a body that stops stops the copy")
    }

    @Test func aFileThatIsNotPEOrIsMissingGivesNil() throws {
        let path = NSTemporaryDirectory() + "pe-file-test-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: path, contents: Data("#!/bin/sh\n".utf8))
        defer { unlink(path) }
        #expect(PEFile(path: path) == nil)
        #expect(PEFile(path: path + ".missing") == nil)
    }
}
