// LoaderCache, the reader of the sysroot's /etc/ld.so.cache (the new format alone or after the
// old table). Counts and string offsets come from the file; a bad cache is nil, never a trap.
@testable import Installer
import FuzzKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLoaderCache(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let cache = LoaderCache(bytes: bytes) else { return 0 }
    fuzzCheck(cache.entries.count <= bytes.count / 24, "\(cache.entries.count) entries in \(bytes.count) bytes")
    for entry in cache.entries {
        fuzzCheck(entry.path.hasPrefix("/"), "a relative path in the cache: \(entry.path)")
        let paths = cache.paths(for: entry.soname)
        fuzzCheck(paths.contains(entry.path), "paths(for: \(entry.soname)) misses \(entry.path)")
    }
    return 0
}
