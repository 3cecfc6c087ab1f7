import Foundation
import PaxosSimulator

/// Runs consecutive seeds on several threads. Runs share nothing (each builds its own cluster,
/// disks and generator), so they are independent; results come back in seed order.
enum ParallelSeeds {
    /// With `swarm`, each seed draws its own options from the seed (`options` gives the rest).
    /// With `costClock`, each result says where its run's time went (`SimulationCost`).
    static func run(first: UInt64, count: Int, jobs: Int, options: SimulationOptions, swarm: Bool = false,
                    costClock: (@Sendable () -> UInt64)? = nil) -> [SimulationResult] {
        let slots = ResultSlots(count: count)
        defer { slots.deallocate() }
        let workers = min(jobs, count)
        // Worker k takes seeds k, k + workers, ...: neighbours cost alike, so the work evens out.
        OwnThreads.forEach(iterations: workers, threads: workers) { worker in
            for index in stride(from: worker, to: count, by: workers) {
                let seed = first &+ UInt64(index)
                let seedOptions = swarm ? SwarmOptions.draw(seed: seed, base: options) : options
                slots.store(Simulator.run(seed: seed, options: seedOptions, costClock: costClock), at: index)
            }
        }
        return slots.results
    }

    /// One result per seed, each written by exactly one worker and read after all have joined.
    private final class ResultSlots: @unchecked Sendable {
        private let storage: UnsafeMutablePointer<SimulationResult?>
        private let count: Int

        init(count: Int) {
            self.count = count
            storage = .allocate(capacity: count)
            storage.initialize(repeating: nil, count: count)
        }

        func store(_ result: SimulationResult, at index: Int) { storage[index] = result }

        var results: [SimulationResult] { (0..<count).map { storage[$0]! } }

        func deallocate() {
            storage.deinitialize(count: count)
            storage.deallocate()
        }
    }
}

/// CPU time this process has used, in seconds, over all its threads: work per core is work
/// divided by it, whatever the number of threads.
enum CPUTime {
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

/// Monotonic time in nanoseconds, for timing events one by one (`paxos simulate --cost`): read
/// through the vDSO, about 20 ns, so measuring a run slows it by a few percent.
enum MonotonicClock {
    static let nanoseconds: @Sendable () -> UInt64 = {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
