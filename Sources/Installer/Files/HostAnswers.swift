#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Support

/// What a few host programs say, asked once per build: whether the host is a container (device
/// nodes) or a virtual machine (module checks), the udev version (rule rewriting), systemd's unit
/// search path (the systemctl stand-in). The answers do not change during a build, and each costs
/// a program start of 3–5 ms; so each question is asked once, and the build asks those it will
/// need ahead (`prefetch`), on threads of their own, while it still does other work.
public final class HostAnswers: @unchecked Sendable {
    /// A question: the program and its arguments.
    public struct Question: Hashable, Sendable {
        public let program: String
        public let arguments: [String]

        public init(_ program: String, _ arguments: [String]) {
            self.program = program
            self.arguments = arguments
        }

        public static let container = Question("systemd-detect-virt", ["-c"])
        public static let virtualMachine = Question("systemd-detect-virt", ["--vm"])
        public static let udevVersion = Question("udevadm", ["--version"])
        public static let systemUnitSearchPath = Question("systemd-path", ["systemd-search-system-unit"])
    }

    /// The program's exit status and standard output, and whether it wrote to standard error.
    public struct Answer: Equatable, Sendable {
        public let status: Int32
        public let output: [UInt8]
        public let wroteErrors: Bool
    }

    public static let shared = HostAnswers()

    private let lock = Lock()
    private var pending: [Question: Pending] = [:]

    /// Starts asking each of `questions` not asked yet.
    public func prefetch(_ questions: [Question]) {
        for question in questions { _ = pendingAnswer(question) }
    }

    /// The answer to `question`, waiting for it if it is still being asked; nil when the program
    /// cannot run.
    public func answer(_ question: Question) -> Answer? {
        pendingAnswer(question).wait()
    }

    private func pendingAnswer(_ question: Question) -> Pending {
        lock.withLock {
            if let asked = pending[question] { return asked }
            let asked = Pending(question)
            pending[question] = asked
            return asked
        }
    }

    private final class Pending: @unchecked Sendable {
        private let done = DispatchGroup()
        private var answer: Answer?

        init(_ question: Question) {
            done.enter()
            Thread.detach { [self] in
                if let output = try? runCommand(question.program, question.arguments) {
                    answer = Answer(
                        status: output.status, output: output.standardOutput, wroteErrors: !output.standardError.isEmpty)
                }
                done.leave()
            }
        }

        func wait() -> Answer? {
            done.wait()
            return answer
        }
    }
}
