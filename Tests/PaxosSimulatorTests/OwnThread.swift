import Foundation
import PaxosSimulator

/// Runs CPU-bound work (seconds to minutes of it) on a thread of its own. Swift Testing runs
/// tests as tasks on the cooperative pool, one thread per core: a test that computes there for a
/// minute takes a whole core from every other test, and the live-cluster tests of the same
/// `swift test` then miss their deadlines waiting for a thread to run their clients on.
///
/// At most one such job per core runs at a time; the others wait their turn on their threads.
/// Forty CPU-bound threads at once would leave the pool's threads a twentieth of the machine
/// each, and the pool's tests would then wait minutes for a turn (a test server closed an idle
/// connection under a test that way).
///
/// The other jobs run at a lower priority (`runsInTheBackground`), and take the CPU that the
/// tests waiting on sockets and node processes leave.
///
/// `critical`: the longest job of the suite, which starts at once and at normal priority: queued
/// behind the others, or slowed by them, it would run alone at the end, on one core, for as long
/// as the rest of the suite took. (With it in the background too, the suite took 168 s instead
/// of 156 s.)
func onOwnThread<T: Sendable>(critical: Bool = false, _ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread {
            if !critical {
                runsInTheBackground()
                cpuBoundSlots.wait()
            }
            let result = work()
            if !critical { cpuBoundSlots.signal() }
            continuation.resume(returning: result)
        }
        thread.stackSize = 16 << 20
        thread.start()
    }
}

private let cpuBoundSlots = DispatchSemaphore(value: max(1, ProcessInfo.processInfo.activeProcessorCount))

/// Lowers the calling thread's priority (nice 10; the threads it starts, such as the model
/// checker's workers, inherit it). In the first seconds of a full `swift test`, when every test
/// starts at once, a test waiting on a socket otherwise waited 9-18 s for a 200 ms answer; with
/// it, about 6-7 s.
private func runsInTheBackground() {
    // On Linux the nice value belongs to a thread, and `who` 0 is the calling one.
    _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
}

/// Runs `seeds` with `options` on a thread of its own: the violations found, each with its seed,
/// and the figures of all the runs added up.
func runSeeds(_ seeds: ClosedRange<UInt64>, options: SimulationOptions) async -> (failures: [String], figures: RunFigures) {
    await onOwnThread { () -> ([String], RunFigures) in
        var failures: [String] = []
        var totals = RunFigures()
        for seed in seeds {
            let result = Simulator.run(seed: seed, options: options)
            if let violation = result.violation { failures.append("seed \(seed): \(violation)") }
            totals.add(result.figures)
        }
        return (failures, totals)
    }
}
