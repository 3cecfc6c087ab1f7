import Foundation

/// Runs CPU-bound work (seconds to minutes of it) on a thread of its own. Swift Testing runs
/// tests as tasks on the cooperative pool, one thread per core: a test that computes there for a
/// minute takes a whole core from every other test, and the live-cluster tests of the same
/// `swift test` then miss their deadlines waiting for a thread to run their clients on.
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: work()) }
        thread.stackSize = 16 << 20
        thread.start()
    }
}
