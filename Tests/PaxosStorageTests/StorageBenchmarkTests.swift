import Foundation
import PaxosStorage
import Testing

/// Prints the disk's figures; run with `PAXOS_STORAGE_BENCH=1 swift test --filter StorageBenchmark`.
/// Never asserts on time (DESIGN.md section 7: benchmarks are commands, not timed tests).
@Suite("Storage benchmark", .enabled(if: ProcessInfo.processInfo.environment["PAXOS_STORAGE_BENCH"] == "1"))
struct StorageBenchmarkTests {
    @Test func printDurableAppendsPerSecondWithAndWithoutGroupCommit() async throws {
        try await withDisk(.posix) { disk in
            let fileSystem = disk.fileSystem
            print(try StorageBenchmark.sequential(directory: disk.directory + "/sequential", fileSystem: fileSystem, appends: 5000))
            for clients in [1, 8, 32, 128] {
                let figures = try await StorageBenchmark.groupCommit(
                    directory: disk.directory + "/group\(clients)", fileSystem: fileSystem,
                    clients: clients, appendsPerClient: max(5000 / clients, 50))
                print(figures)
            }
        }
    }

    /// `PAXOS_STORAGE_BENCH=1 swift test --filter StorageBenchmarkTests/printFdatasyncLatency`
    @Test func printFdatasyncLatencyOfAGrowingFileAgainstAPreallocatedOne() throws {
        try withDisk(.posix) { disk in
            try disk.fileSystem.createDirectory(disk.directory)
            // Alternated, so that a noisy neighbour on the disk weighs on both alike.
            for round in 1...3 {
                for preallocated in [false, true] {
                    let figures = try StorageBenchmark.syncLatency(
                        path: disk.directory + "/sync-\(preallocated)", fileSystem: disk.fileSystem, preallocated: preallocated, syncs: 2000)
                    print("round \(round), \(figures)")
                }
            }
        }
    }
}
