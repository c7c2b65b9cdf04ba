#if canImport(Glibc)
import Glibc
#endif

/// The number of online processors, the default number of compressing threads.
public func availableProcessorCount() -> Int {
    max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}
