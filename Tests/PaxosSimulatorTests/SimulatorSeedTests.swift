import PaxosSimulator
import Testing

/// Fixed seeds under each fault mix: every run keeps agreement, validity, durability, stability
/// and the file prefix while faults are injected, and settles once they stop (liveness).
@Suite struct SimulatorSeedTests {
    static let seeds: ClosedRange<UInt64> = 1...200

    static let mixes: [(name: String, nodes: Int, faults: FaultMix)] = [
        ("no faults", 3, .none),
        ("network faults", 3, .network),
        ("crashes and torn writes", 3, .crashes),
        ("everything", 3, .all),
        ("everything, five nodes", 5, .all),
        ("everything, seven nodes", 7, .all),
        ("everything, every message alone", 3, .all),
    ]

    @Test(arguments: 0..<mixes.count)
    func fixedSeedsRunClean(mixIndex: Int) async {
        let mix = Self.mixes[mixIndex]
        var options = SimulationOptions(nodes: mix.nodes, steps: 400, faults: mix.faults)
        options.peerCalls = !mix.name.hasSuffix("alone")
        let (decisions, failure) = await onOwnThread { [options] () -> (Int, SimulationResult?) in
            var decisions = 0
            for seed in Self.seeds {
                let result = Simulator.run(seed: seed, options: options)
                decisions += result.figures.decisions
                if result.violation != nil { return (decisions, result) }
            }
            return (decisions, nil)
        }
        if let failure {
            Issue.record("\(mix.name): \(SimulationReport.failure(for: failure))")
            return
        }
        #expect(decisions > Self.seeds.count * 5, "\(mix.name): the runs decide something")
    }

    @Test func faultsAreActuallyInjected() {
        var options = SimulationOptions(nodes: 3, steps: 400, faults: .all)
        options.traceStepsMax = 10
        var totals = RunFigures()
        for seed in UInt64(1)...50 { totals.add(Simulator.run(seed: seed, options: options).figures) }
        #expect(totals.messagesDropped > 0)
        #expect(totals.messagesDuplicated > 0)
        #expect(totals.messagesDelayed > 0)
        #expect(totals.partitions > 0)
        #expect(totals.crashes > 0)
        #expect(totals.tornWrites > 0)
        #expect(totals.submitsAcknowledged > 0)
    }
}
