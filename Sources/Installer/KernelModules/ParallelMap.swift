import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Maps independent work items on every processor: reading the symbol tables of a directory
/// walk's modules is the one place in a build where that pays.
enum ParallelMap {
    static func map<Element: Sendable, Result: Sendable>(_ items: [Element], _ transform: @Sendable (Element) -> Result) -> [Result] {
        let workers = max(1, min(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), items.count))
        guard workers > 1 else { return items.map(transform) }
        let slots = Slots<Result>(count: items.count)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            // Interleaved so that both workers meet the big and the small modules of each directory.
            for index in stride(from: worker, to: items.count, by: workers) { slots.store(transform(items[index]), at: index) }
        }
        return slots.values()
    }

    /// One slot per item, each written by exactly one worker before `values` reads them all.
    private final class Slots<Value>: @unchecked Sendable {
        private var storage: [Value?]

        init(count: Int) { storage = Array(repeating: nil, count: count) }

        func store(_ value: Value, at index: Int) {
            storage.withUnsafeMutableBufferPointer { $0[index] = value }
        }

        func values() -> [Value] { storage.map { $0! } }
    }
}
