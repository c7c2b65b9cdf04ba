#if canImport(Glibc)
import Glibc
#endif

/// Writes the whole buffer, retrying on EINTR and short writes. Returns false on error.
@discardableResult
public func writeAll(fd: Int32, _ buffer: UnsafeBufferPointer<UInt8>) -> Bool {
    guard var pointer = buffer.baseAddress else { return true }
    var remaining = buffer.count
    while remaining > 0 {
        let written = Glibc.write(fd, pointer, remaining)
        if written < 0 {
            if errno == EINTR { continue }
            return false
        }
        remaining -= written
        pointer += written
    }
    return true
}

@discardableResult
public func writeAll(fd: Int32, _ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBufferPointer { writeAll(fd: fd, $0) }
}

/// Reads until end of file.
public func readAll(fd: Int32) -> [UInt8] {
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            break
        }
        if count == 0 { break }
        result.append(contentsOf: chunk[0..<count])
    }
    return result
}

public func systemErrorDescription(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}
