#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Support

/// Kernel module files copied into the image on worker threads while the engine resolves the next
/// modules. Creating a file and copying its bytes is most of what an instmods call costs, and the
/// module shell leaves a processor idle while it waits for the answer.
///
/// The files of one directory go to one worker, in the order they were asked for, so each
/// directory's entries are made in the order a serial copy makes them: a small directory lists its
/// entries in that order, and depmod indexes the modules that modules.order leaves out in the
/// order their directory lists them.
final class BackgroundCopies: @unchecked Sendable {
    /// A copy that failed: the host file and why.
    struct Failure {
        let source: String
        let message: String
    }

    private enum Outcome {
        case copied
        case existed
        case failed(String)
    }

    private let workers: [DispatchQueue]
    private let group = DispatchGroup()
    /// Bounds the source descriptors that queued copies hold open.
    private let openSources = DispatchSemaphore(value: 64)
    private let lock = Lock()
    private var outcomes: [Int: Outcome] = [:]
    /// The source of each copy asked for since the last `finish`, by its number.
    private var sources: [String] = []

    init(workers count: Int = min(4, availableProcessorCount())) {
        workers = (0..<max(1, count)).map { DispatchQueue(label: "kindling.module-copy.\($0)") }
    }

    /// Copies the open regular file `input`, described by `status`, to the new host file
    /// `destination`, whose directory exists; `input` is closed when done.
    func copy(_ input: Int32, status: stat, source: String, to destination: String) {
        openSources.wait()
        let number = sources.count
        sources.append(source)
        let worker = workers[Self.worker(for: PathText.directory(of: destination), among: workers.count)]
        group.enter()
        worker.async { [self] in
            let outcome: Outcome
            do throws(InstallError) {
                outcome = try FileCopier.copy(from: input, status: status, to: destination) ? .copied : .existed
            } catch {
                outcome = .failed(error.description)
            }
            close(input)
            lock.withLock { outcomes[number] = outcome }
            openSources.signal()
            group.leave()
        }
    }

    /// Waits for every copy asked for so far: the sources copied, in the order they were asked
    /// for, and the copies that failed.
    func finish() -> (copied: [String], failures: [Failure]) {
        group.wait()
        let finished = lock.withLock {
            defer { outcomes = [:] }
            return outcomes
        }
        var copied: [String] = [], failures: [Failure] = []
        for (number, source) in sources.enumerated() {
            switch finished[number] {
            case .copied: copied.append(source)
            case .failed(let message): failures.append(Failure(source: source, message: message))
            case .existed, nil: break
            }
        }
        sources = []
        return (copied, failures)
    }

    /// The same worker for a directory in every build (FNV-1a of its bytes).
    private static func worker(for directory: String, among count: Int) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in directory.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Int(hash % UInt64(count))
    }
}
