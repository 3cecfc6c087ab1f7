import Foundation
import Testing

/// `paxos simulate --cost` prints where the time went, for many seeds and for one, and the run's
/// own figures stay what they are without it.
@Suite struct SimulateCostCommandTests {
    @Test func manySeedsPrintTheTableAfterTheSameTotals() async throws {
        let timed = try await runPaxos(["simulate", "--seeds", "20", "--jobs", "1", "--cost"], timeoutSeconds: 120)
        let plain = try await runPaxos(["simulate", "--seeds", "20", "--jobs", "1"], timeoutSeconds: 120)
        #expect(timed.status == 0 && plain.status == 0, "\(timed.errors)\(plain.errors)")
        #expect(timed.output.contains("where the time went over 20 seeds"), "\(timed.output)")
        for row in ["peer call", "fsync done", "submit", "all", "decisions: faults phase"] {
            #expect(timed.output.contains(row), "no '\(row)' row: \(timed.output)")
        }
        let totals = { (output: String) in output.split(separator: "\n").first { $0.hasPrefix("20 seeds, 0 failing") } }
        #expect(totals(timed.output) != nil && totals(timed.output) == totals(plain.output))
        #expect(!plain.output.contains("where the time went"))
    }

    @Test func oneSeedPrintsItsOwnTable() async throws {
        let run = try await runPaxos(["simulate", "--seed", "3", "--cost"], timeoutSeconds: 60)
        #expect(run.status == 0, "\(run.errors)")
        #expect(run.output.contains("seed 3: ok") && run.output.contains("where the time went"), "\(run.output)")
    }
}
