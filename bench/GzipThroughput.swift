// Compresses a file with Kindling's ParallelGzipSink and prints "SECONDS OUTPUT_BYTES".
// Usage: gzip-throughput INPUT OUTPUT LEVEL THREADS [BLOCK_BYTES]
// bench/run compiles it against the release build's Archive module.
import Archive
import Glibc

let arguments = CommandLine.arguments
guard (5...6).contains(arguments.count), let level = Int(arguments[3]), let threads = Int(arguments[4]),
    let blockSize = arguments.count == 6 ? Int(arguments[5]) : ParallelGzipSink.defaultBlockSize
else {
    fputs("usage: gzip-throughput INPUT OUTPUT LEVEL THREADS [BLOCK_BYTES]\n", stderr)
    exit(2)
}

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

do {
    let input = open(arguments[1], O_RDONLY)
    guard input >= 0 else { throw ArchiveError.system(operation: "open", path: arguments[1], errno: errno) }
    let file = try FileSink(creating: arguments[2])
    let start = now()
    let gzip = try ParallelGzipSink(level: level, threadCount: threads, blockSize: blockSize, forwardingTo: file)
    var chunk = [UInt8](repeating: 0, count: 256 * 1024)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
        guard count > 0 else { break }
        try chunk.withUnsafeBytes { try gzip.write(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }
    try gzip.finish()
    print(((now() - start) * 1000).rounded() / 1000, file.bytesWritten)
} catch {
    fputs("gzip-throughput: \(error)\n", stderr)
    exit(1)
}
