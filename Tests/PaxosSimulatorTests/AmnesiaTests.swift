import PaxosCore
import PaxosSimulator
import Testing

/// Issue 16's rebuilt node, before `--rejoin` exists: a node whose disk is lost restarts empty
/// and votes at once, as `paxos node` on an empty data directory does today. The checkers must
/// see what that breaks, so that the rejoin rule, once built, is checked by the same fault.
@Suite struct AmnesiaTests {
    @Test("a node that lost its disk and votes at once breaks agreement, and the simulator says so")
    func rebuiltNodeVotingAtOnceIsCaught() async {
        let options = SimulationOptions(nodes: 3, steps: 600, faults: FaultMix([.crash, .amnesia, .stale, .contend, .drop]))
        let properties = await onOwnThread { [options] () -> [Property] in
            (UInt64(1)...60).compactMap { Simulator.run(seed: $0, options: options).violation?.property }
        }
        // Forgotten promises and a reused ballot: two values chosen in one instance.
        #expect(properties.contains(.agreement), "\(properties)")
        // `all` and the swarm leave the fault out until the node survives it.
        #expect(!FaultMix.all.contains(.amnesia))
    }
}
