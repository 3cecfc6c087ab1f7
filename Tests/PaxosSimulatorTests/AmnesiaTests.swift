import PaxosCore
import PaxosSimulator
import Testing

/// Issue 16's rebuilt node: a node whose disk is lost restarts empty and rejoins (`Rejoin`), as
/// `paxos node --rejoin` does. With the rule, the fault is survivable; a rebuilt node that
/// votes at once (the mutation) breaks agreement, and the simulator says so.
@Suite struct AmnesiaTests {
    static let mix = FaultMix([.crash, .amnesia, .stale, .contend, .drop])

    @Test("rebuilt nodes that fence their lost life before voting keep every invariant", arguments: [3, 5])
    func rebuiltNodesRejoinSafely(nodes: Int) async {
        let options = SimulationOptions(nodes: nodes, steps: 600, faults: Self.mix)
        let (failures, figures) = await runSeeds(1...150, options: options)
        let rejoins = figures.coverage[.rejoinCompleted]
        #expect(failures.isEmpty, "\(failures)")
        #expect(rejoins > 20, "the seeds must rebuild nodes: \(rejoins) rejoins")
    }

    @Test("a rebuilt node that votes at once breaks agreement, and the simulator says so")
    func rebuiltNodeVotingAtOnceIsCaught() async {
        var options = SimulationOptions(nodes: 3, steps: 600, faults: Self.mix)
        options.mutations = [.rejoinedNodeVotesAtOnce]
        let properties = await onOwnThread { [options] () -> [Property] in
            (UInt64(1)...60).compactMap { Simulator.run(seed: $0, options: options).violation?.property }
        }
        // Forgotten promises: two values chosen in one instance.
        #expect(properties.contains(.agreement), "\(properties)")
    }

    @Test("amnesia is part of `all`, and so of the default runs and the swarm")
    func amnesiaIsSurvivable() {
        #expect(FaultMix.all.contains(.amnesia))
    }
}
