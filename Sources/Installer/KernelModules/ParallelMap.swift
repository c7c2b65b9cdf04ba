import Dispatch
import Support

/// Maps independent work items on every processor: reading the symbol tables of a directory
/// walk's modules is the one place in a build where that pays.
enum ParallelMap {
    static func map<Element: Sendable, Result: Sendable>(_ items: [Element], _ transform: @Sendable (Element) -> Result) -> [Result] {
        let workers = max(1, min(availableProcessorCount(), items.count))
        guard workers > 1 else { return items.map(transform) }
        let slots = Slots<Result>(count: items.count)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            // Interleaved so that both workers meet the big and the small modules of each directory.
            for index in stride(from: worker, to: items.count, by: workers) { slots.store(transform(items[index]), at: index) }
        }
        return slots.values()
    }

    /// One slot per item, each written by exactly one worker before `values` reads them all.
    /// The slots are raw memory: writing through a stored array from several threads at once is
    /// a simultaneous modifying access to that property, which debug builds trap on.
    private final class Slots<Value>: @unchecked Sendable {
        private let storage: UnsafeMutableBufferPointer<Value?>

        init(count: Int) {
            storage = .allocate(capacity: count)
            storage.initialize(repeating: nil)
        }

        deinit {
            storage.baseAddress!.deinitialize(count: storage.count)
            storage.deallocate()
        }

        func store(_ value: Value, at index: Int) { storage[index] = value }

        func values() -> [Value] { storage.map { $0! } }
    }
}
