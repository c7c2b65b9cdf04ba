import Configuration
import Dispatch
import Support

/// Runs --regenerate-all: one kindling process per kernel, as dracut re-runs itself, so that each
/// build keeps its own bash session, temporary directory and signal handling. With --parallel the
/// runs overlap, at most one per processor.
struct KernelRegeneration {
    var regeneration: Regeneration
    var kernels: [String]
    var executable: String
    var logger: Logger
    var processorCount = availableProcessorCount()

    /// 0 when every kernel's image was built; otherwise each failure has been reported by kernel.
    func run() -> Int32 {
        if kernels.isEmpty {
            logger.warning("--regenerate-all: no kernel with a module index under /lib/modules")
            return 0
        }
        let results = Results(count: kernels.count)
        if regeneration.parallel {
            DispatchQueue.concurrentPerform(iterations: min(processorCount, kernels.count)) { _ in
                while let index = results.nextIndex() { results.record(build(kernels[index]), at: index) }
            }
        } else {
            for (index, kernel) in kernels.enumerated() { results.record(build(kernel), at: index) }
        }
        let failed = zip(kernels, results.statuses).filter { $0.1 != 0 }
        for (kernel, status) in failed {
            logger.error("--regenerate-all: the image for kernel \(kernel) failed (exit status \(status))")
        }
        return failed.isEmpty ? 0 : 1
    }

    private func build(_ kernel: String) -> Int32 {
        do {
            return try ChildProcess(executable: executable, arguments: regeneration.arguments(forKernel: kernel)).wait()
        } catch {
            logger.error("--regenerate-all: kernel \(kernel): \(error)")
            return 127
        }
    }
}

/// The workers' shared state: the next kernel to build and each kernel's exit status.
private final class Results: @unchecked Sendable {
    private let lock = Lock()
    private var next = 0
    private(set) var statuses: [Int32]

    init(count: Int) { statuses = Array(repeating: 0, count: count) }

    func nextIndex() -> Int? {
        lock.withLock {
            guard next < statuses.count else { return nil }
            defer { next += 1 }
            return next
        }
    }

    func record(_ status: Int32, at index: Int) { lock.withLock { statuses[index] = status } }
}
