import Foundation

/// Runs work on threads started for it, never on libdispatch's global threads.
///
/// `DispatchQueue.concurrentPerform` runs on the threads that also run Swift's tasks on Linux:
/// a model-check level held them all for seconds while XML-RPC calls of other tests waited and
/// timed out in a CI run. Threads of its own leave the task pool alone (the calling thread
/// only waits).
public enum OwnThreads {
    /// Calls `body(index)` once for every index of `0..<iterations`, on up to `threads` threads,
    /// each taking the next index not yet taken; returns once every call has returned.
    public static func forEach(iterations: Int, threads: Int, _ body: (Int) -> Void) {
        guard iterations > 0 else { return }
        let threadCount = max(1, min(threads, iterations))
        if threadCount == 1 {
            for index in 0..<iterations { body(index) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let shared = Shared(iterations: iterations, body: body)
            for number in 0..<threadCount {
                let thread = Thread { shared.work() }
                thread.name = "paxos-worker-\(number + 1)"
                thread.stackSize = 16 << 20  // as much as the calling thread may have had
                thread.start()
            }
            shared.waitUntilDone(threads: threadCount)
        }
    }

    /// The next index to take and how many threads have finished, under one lock. `body` is
    /// let go before `forEach` returns: a thread object may outlive its work (and keep this
    /// object), but not the closure, which `withoutActuallyEscaping` checks.
    private final class Shared: @unchecked Sendable {
        private let condition = NSCondition()
        private let iterations: Int
        private var body: ((Int) -> Void)?
        private var next = 0
        private var finished = 0

        init(iterations: Int, body: @escaping (Int) -> Void) {
            self.iterations = iterations
            self.body = body
        }

        func work() {
            runIterations()
            condition.withLock {
                finished += 1
                condition.broadcast()
            }
        }

        func waitUntilDone(threads: Int) {
            condition.withLock {
                while finished < threads { condition.wait() }
                body = nil
            }
        }

        /// A function of its own, so that its reference to `body` ends when it returns.
        @inline(never)
        private func runIterations() {
            guard let body = condition.withLock({ self.body }) else { return }
            while let index = take() { body(index) }
        }

        private func take() -> Int? {
            condition.withLock {
                guard next < iterations else { return nil }
                defer { next += 1 }
                return next
            }
        }
    }
}
