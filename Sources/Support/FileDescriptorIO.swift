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

/// Fills `buffer` from `offset` of the file with pread, retrying on EINTR and short reads. Returns
/// how many bytes it read (fewer than asked only at the end of the file), or -1 with errno set.
public func preadAll(fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
    var filled = 0
    while filled < buffer.count {
        let got = pread(fd, buffer.baseAddress! + filled, buffer.count - filled, off_t(offset + filled))
        if got < 0 {
            if errno == EINTR { continue }
            return -1
        }
        if got == 0 { break }
        filled += got
    }
    return filled
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

/// A regular file's bytes (as `[[ -f ]]` sees it: symlinks followed); nil for anything else. A
/// FIFO is refused at once: it is opened without waiting for a writer.
public func regularFileBytes(atPath path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var status = stat()
    guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
    return readAll(fd: fd)
}

/// Replaces `path` with a new file holding `bytes`, as FileManager's `createFile` does (a new
/// inode, with `mode` exactly or else 0666 less the umask; a symlink there is replaced, not
/// followed), but without its temporary file and sync: the staged tree is itself temporary.
/// Returns false, with errno set, when the file cannot be made or written.
public func replaceFile(_ path: String, with bytes: [UInt8], mode: mode_t? = nil) -> Bool {
    unlink(path)
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode ?? 0o666)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    if let mode, fchmod(fd, mode) != 0 { return false }
    return writeAll(fd: fd, bytes)
}

public func systemErrorDescription(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}

/// Reads each of `descriptors` (read ends of pipes that `child` writes) to its end, and returns
/// what each gave. It does not wait for the pipes to be closed once `child` has exited: a command
/// the child started in the background (`sleep 100 &`, a daemon) may hold them open for as long
/// as it runs. Then what is already in them is taken, up to `drainLimit` bytes each, and the child
/// is reaped; `child.wait()` returns its status at once afterwards.
public func readUntilExit(of child: ChildProcess, from descriptors: [Int32], drainLimit: Int = 1 << 20) -> [[UInt8]] {
    var results = descriptors.map { _ in [UInt8]() }
    var open = Set(descriptors.indices)
    for fd in descriptors { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    var chunk = [UInt8](repeating: 0, count: 65536)
    var draining: [Int]?  // bytes taken from each pipe since the child exited
    while !open.isEmpty {
        var progressed = false
        for index in open.sorted() {
            if let draining, draining[index] >= drainLimit { open.remove(index); continue }
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptors[index], $0.baseAddress, $0.count) }
            if count > 0 {
                results[index].append(contentsOf: chunk[0..<count])
                draining?[index] += count
                progressed = true
            } else if count == 0 || (errno != EAGAIN && errno != EINTR) || draining != nil && errno == EAGAIN {
                open.remove(index)
            }
        }
        // Every round, not only when the pipes are quiet: a job that writes without pause must not
        // hide the child's end.
        if draining == nil, child.wait(within: 0) != nil {
            draining = descriptors.map { _ in 0 }
            continue
        }
        if progressed || open.isEmpty || draining != nil { continue }
        var polled = open.sorted().map { pollfd(fd: descriptors[$0], events: Int16(POLLIN), revents: 0) }
        _ = poll(&polled, nfds_t(polled.count), 250)
    }
    child.wait()
    return results
}

/// Standard input, output and error, opened on /dev/null when they were closed (`kindling <&- >&-
/// 2>&-`): otherwise the next file opened would get the number and the log would be written into
/// it. Without /dev/null (a chroot without /dev) the root directory, opened read-only, takes the
/// number: writes to it fail and go nowhere. Call it first, before anything opens a file.
public func reopenClosedStandardDescriptors() {
    for fd: Int32 in 0...2 where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
        var opened = Glibc.open("/dev/null", O_RDWR)
        if opened < 0 { opened = Glibc.open("/", O_RDONLY | O_DIRECTORY) }
        if opened >= 0 && opened != fd {
            dup2(opened, fd)
            close(opened)
        }
    }
}

/// A descriptor that reads as an empty file, for a child's standard input: /dev/null, else the
/// read end of a pipe whose write end is closed (a chroot without /dev has no /dev/null).
public func openEmptyInput() throws -> Int32 {
    let devNull = Glibc.open("/dev/null", O_RDONLY | O_CLOEXEC)
    if devNull >= 0 { return devNull }
    let ends = try makePipe()
    close(ends[1])
    return ends[0]
}
