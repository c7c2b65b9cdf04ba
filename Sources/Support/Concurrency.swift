#if canImport(Glibc)
import Glibc
#endif

/// The number of online processors: how many threads compress, map or build at once.
public func availableProcessorCount() -> Int {
    max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}
