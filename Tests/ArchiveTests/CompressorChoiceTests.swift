import Foundation
import XCTest
@testable import Archive

final class CompressorChoiceTests: XCTestCase {
    /// Pretends every tool is installed under /opt/tools.
    private func method(_ setting: String, installed: Set<String>? = nil) throws -> CompressionMethod {
        try CompressionMethod(dracutSetting: setting) { name in
            installed.map { $0.contains(name) } ?? true ? "/opt/tools/" + name : nil
        }
    }

    private func command(_ words: String...) -> CompressionMethod {
        .command(executable: "/opt/tools/" + words[0], arguments: Array(words.dropFirst()))
    }

    func testEmptySettingIsParallelGzipAtDracutsLevel() throws {
        XCTAssertEqual(try method(""), .parallelGzip(level: 9, threadCount: nil))
        XCTAssertEqual(try method("  "), .parallelGzip(level: 9, threadCount: nil))
    }

    func testGzipAndPigzRunInProcess() throws {
        XCTAssertEqual(try method("gzip"), .parallelGzip(level: 9, threadCount: nil))
        XCTAssertEqual(try method("pigz"), .parallelGzip(level: 9, threadCount: nil))
        // dracut's own expansions of gzip and pigz.
        XCTAssertEqual(try method("pigz -9 -n -T -R"), .parallelGzip(level: 9, threadCount: nil))
        XCTAssertEqual(try method("gzip -n -9 --rsyncable"), .parallelGzip(level: 9, threadCount: nil))
        XCTAssertEqual(try method("gzip -1"), .parallelGzip(level: 1, threadCount: nil))
        XCTAssertEqual(try method("gzip --fast"), .parallelGzip(level: 1, threadCount: nil))
        XCTAssertEqual(try method("pigz -6 -p 3"), .parallelGzip(level: 6, threadCount: 3))
        // In process means no tool is needed.
        XCTAssertEqual(try method("gzip", installed: []), .parallelGzip(level: 9, threadCount: nil))
    }

    func testGzipWithOtherOptionsRunsVerbatim() throws {
        XCTAssertEqual(try method("gzip -9 -b 4"), command("gzip", "-9", "-b", "4"))
        XCTAssertEqual(try method("pigz -p"), command("pigz", "-p"))
        XCTAssertEqual(try method("pigz -11"), command("pigz", "-11"))
    }

    func testBareNamesGetDracutsFixedArguments() throws {
        XCTAssertEqual(try method("zstd"), command("zstd", "-15", "-q", "-T0"))
        XCTAssertEqual(try method("xz"), command("xz", "--check=crc32", "--lzma2=dict=1MiB", "-T0"))
        XCTAssertEqual(try method("lzma"), command("lzma", "-9", "-T0"))
        XCTAssertEqual(try method("lz4"), command("lz4", "-l", "-9"))
        XCTAssertEqual(try method("lzo"), command("lzop", "-9"))
        XCTAssertEqual(try method("lzop"), command("lzop", "-9"))
    }

    /// dracut-ng's compress_level_NAME takes the place of the fixed level of a bare name only.
    func testLevelsReplaceDracutsFixedLevelsOfBareNames() throws {
        func leveled(_ setting: String, _ levels: [String: Int]) throws -> CompressionMethod {
            try CompressionMethod(dracutSetting: setting, levels: levels) { "/opt/tools/" + $0 }
        }
        XCTAssertEqual(try leveled("zstd", ["zstd": 3]), command("zstd", "-3", "-q", "-T0"))
        XCTAssertEqual(try leveled("zstd", ["gzip": 3]), command("zstd", "-15", "-q", "-T0"))
        XCTAssertEqual(try leveled("xz", ["xz": 6]), command("xz", "-6", "--check=crc32", "--lzma2=dict=1MiB", "-T0"))
        XCTAssertEqual(try leveled("lzma", ["lzma": 2]), command("lzma", "-2", "-T0"))
        XCTAssertEqual(try leveled("lz4", ["lz4": 1]), command("lz4", "-l", "-1"))
        XCTAssertEqual(try leveled("lzo", ["lzop": 4]), command("lzop", "-4"))
        XCTAssertEqual(try leveled("bzip2", ["bzip2": 5]), command("lbzip2", "-5"))
        XCTAssertEqual(try leveled("gzip", ["gzip": 1]), .parallelGzip(level: 1, threadCount: nil))
        XCTAssertEqual(try leveled("", ["gzip": 4]), .parallelGzip(level: 4, threadCount: nil))
        XCTAssertEqual(try leveled("gzip -9", ["gzip": 1]), .parallelGzip(level: 9, threadCount: nil))
        XCTAssertEqual(try leveled("zstd -19", ["zstd": 1]), command("zstd", "-19"))
    }

    func testBzip2PrefersLbzip2() throws {
        XCTAssertEqual(try method("bzip2"), command("lbzip2", "-9"))
        XCTAssertEqual(try method("bzip2", installed: ["bzip2"]), command("bzip2", "-9"))
        XCTAssertEqual(try method("lbzip2"), command("lbzip2", "-9"))
    }

    func testCatAndNoneStoreTheArchive() throws {
        XCTAssertEqual(try method("cat"), CompressionMethod.none)
        XCTAssertEqual(try method("none", installed: []), CompressionMethod.none)
    }

    func testACommandLineIsUsedVerbatim() throws {
        XCTAssertEqual(try method("zstd -3 -T2"), command("zstd", "-3", "-T2"))
        XCTAssertEqual(try method("xz\t-1"), command("xz", "-1"))
        // A single word that is no known name is a command without arguments, as in dracut.
        XCTAssertEqual(try method("mycompressor"), command("mycompressor"))
    }

    func testAMissingToolIsAOneLineErrorNamingIt() {
        XCTAssertThrowsError(try method("zstd", installed: [])) { error in
            XCTAssertEqual("\(error)", "cannot compress the image: 'zstd' is not installed")
        }
        XCTAssertThrowsError(try method("bzip2", installed: [])) { error in
            XCTAssertEqual("\(error)", "cannot compress the image: 'bzip2' is not installed")
        }
        XCTAssertThrowsError(try method("/nonexistent/xz -9", installed: [])) { error in
            XCTAssertEqual("\(error)", "cannot compress the image: '/nonexistent/xz' is not installed")
        }
    }

    func testSearchPathLookup() {
        XCTAssertEqual(findExecutableInSearchPath("/bin/sh"), "/bin/sh")
        XCTAssertNotNil(findExecutableInSearchPath("sh"))
        XCTAssertNil(findExecutableInSearchPath("no-such-compressor-kindling"))
        XCTAssertNil(findExecutableInSearchPath("/etc/passwd"), "not executable")
        XCTAssertNil(findExecutableInSearchPath("/usr/bin"), "a directory")
    }

    // MARK: Round trips through the real tools

    /// Writes an uncompressed early archive, then `setting`'s compressed main archive, into one
    /// file, and reads both back the way the kernel finds them.
    private func roundTrip(_ setting: String, expecting compression: Compression) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/initrd.img"
        let file = try FileSink(creating: path)
        try CpioWriter(sink: file).writeArchive([
            ArchiveEntry(path: "early_cpio", kind: .regularFile(.bytes([0x31])), mode: 0o644)
        ])
        let sink = try CompressionMethod(dracutSetting: setting).makeSink(writingTo: file)
        let data = pseudoRandomBytes(150_000) + Array(String(repeating: "kernel module ", count: 30_000).utf8)
        let initEntry = ArchiveEntry(path: "init", kind: .regularFile(.bytes(data)), mode: 0o755)
        try CpioWriter(sink: sink).writeArchive([initEntry])
        try sink.finish()

        let image = try ImageReader(path: path)
        XCTAssertEqual(try XCTUnwrap(try image.nextArchive()).compression, .uncompressed, setting)
        let main = try XCTUnwrap(try image.nextArchive(), setting)
        XCTAssertEqual(main.compression, compression, setting)
        XCTAssertEqual(try main.reader.nextMember()?.path, "init", setting)
        XCTAssertTrue(try main.reader.readData() == data, setting)
        XCTAssertNil(try image.nextArchive(), setting)
    }

    private func requireTools(_ tools: String...) throws {
        for tool in tools where findExecutableInSearchPath(tool) == nil {
            throw XCTSkip("\(tool) is not installed")
        }
    }

    func testGzipRoundTrip() throws {
        try roundTrip("", expecting: .gzip)
        try roundTrip("pigz -1", expecting: .gzip)
    }

    func testUncompressedRoundTrip() throws { try roundTrip("cat", expecting: .uncompressed) }

    func testZstdRoundTrip() throws {
        try requireTools("zstd")
        try roundTrip("zstd", expecting: .zstd)
    }

    func testXzRoundTrip() throws {
        try requireTools("xz")
        try roundTrip("xz", expecting: .xz)
    }

    func testLzmaRoundTrip() throws {
        try requireTools("lzma", "xz")
        try roundTrip("lzma", expecting: .lzma)
    }

    func testLz4RoundTrip() throws {
        try requireTools("lz4")
        try roundTrip("lz4", expecting: .lz4)
    }

    func testLzopRoundTrip() throws {
        try requireTools("lzop")
        try roundTrip("lzo", expecting: .lzo)
    }

    func testBzip2RoundTrips() throws {
        try requireTools("bzip2")
        try roundTrip("bzip2 -9", expecting: .bzip2)
        try requireTools("lbzip2")
        try roundTrip("lbzip2", expecting: .bzip2)
    }

    func testVerbatimCommandLineRoundTrip() throws {
        try requireTools("zstd")
        try roundTrip("zstd -3 -q -T2", expecting: .zstd)
    }

    func testAFailingCompressorIsReported() throws {
        let directory = try TemporaryDirectory()
        let file = try FileSink(creating: directory.path + "/out")
        let sink = try CompressionMethod(dracutSetting: "xz --no-such-option").makeSink(writingTo: file)
        do {
            try sink.write(pseudoRandomBytes(1000))
            try sink.finish()
            XCTFail("a failing compressor went unnoticed")
        } catch let error as ArchiveError {
            guard case .toolFailed = error else { return XCTFail("\(error)") }
        }
    }
}
