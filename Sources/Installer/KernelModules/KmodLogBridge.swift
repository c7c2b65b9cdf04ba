import CKmod
#if canImport(Glibc)
import Glibc
#endif
import Support

/// Sends libkmod's own messages to the build log at debug level instead of libkmod's default of
/// printing errors on stderr: the resolver reports every failure itself, in one line.
final class KmodLogBridge {
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// The bridge must outlive the context: the context keeps an unretained pointer to it.
    func attach(to context: OpaquePointer) {
        kmod_set_log_fn(
            context,
            { data, _, _, _, _, format, arguments in
                guard let data, let format, let arguments else { return }
                let bridge = Unmanaged<KmodLogBridge>.fromOpaque(data).takeUnretainedValue()
                var buffer = [CChar](repeating: 0, count: 1024)
                _ = vsnprintf(&buffer, buffer.count, format, arguments)
                var message = String(nulTerminated: buffer)
                while message.hasSuffix("\n") { message.removeLast() }
                bridge.logger.debug("libkmod: \(message)")
            }, Unmanaged.passUnretained(self).toOpaque())
    }
}
