#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Support

/// Files copied into the image on worker threads while the engine resolves the next ones: kernel
/// modules while it resolves the next modules (creating a file and copying its bytes is most of
/// what an instmods call costs, and the module shell leaves a processor idle while it waits for
/// the answer), and the libraries of the lazy pass while it reads the next programs.
///
/// The files of one directory go to one worker, in the order they were asked for, so each
/// directory's entries are made in the order a serial copy makes them: a small directory lists its
/// entries in that order, and depmod indexes the modules that modules.order leaves out in the
/// order their directory lists them.
final class BackgroundCopies: @unchecked Sendable {
    /// A copy that failed: the host file and why.
    struct Failure {
        let source: String
        let error: InstallError
        var message: String { error.description }
    }

    private enum Outcome {
        case copied
        case existed
        case failed(InstallError)
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
        run(input, source: source, destination: destination) { () throws(InstallError) in
            try FileCopier.copy(from: input, status: status, to: destination) ? .copied : .existed
        }
    }

    /// Fills `output`, the file just made at `destination` (FileCopier.create), with the bytes,
    /// mode and times of the open regular file `input`; both are closed when done.
    func fill(_ output: Int32, from input: Int32, status: stat, source: String, destination: String) {
        run(input, source: source, destination: destination) { () throws(InstallError) in
            try FileCopier.fill(output, from: input, status: status, destination: destination)
            return .copied
        }
    }

    private func run(_ input: Int32, source: String, destination: String, _ work: @escaping @Sendable () throws(InstallError) -> Outcome) {
        openSources.wait()
        let number = sources.count
        sources.append(source)
        let worker = workers[Self.worker(for: PathText.directory(of: destination), among: workers.count)]
        group.enter()
        worker.async { [self] in
            let outcome: Outcome
            do throws(InstallError) {
                outcome = try work()
            } catch {
                outcome = .failed(error)
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
            case .failed(let error): failures.append(Failure(source: source, error: error))
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
