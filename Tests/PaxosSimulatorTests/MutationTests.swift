import PaxosCore
import PaxosSimulator
import Testing

/// The checkers can fail: each deliberately broken core is caught, by the simulator within a
/// bounded number of seeds and by the model checker.
@Suite struct MutationTests {
    static let seedsMax: UInt64 = 300

    @Test(arguments: PaxosConfiguration.Mutation.allCases)
    func simulatorCatchesMutation(_ mutation: PaxosConfiguration.Mutation) async {
        // A double count needs a quorum of three to matter (see the model-checker test below);
        // the other bugs show fastest in the smallest cluster, where every vote is decisive.
        let nodes = mutation == .proposerCountsAcceptorTwice ? 5 : 3
        var options = SimulationOptions(nodes: nodes, steps: 600, faults: .all)
        options.mutations = [mutation]
        let caught = await onOwnThread { [options] () -> SimulationResult? in
            for seed in 1...Self.seedsMax {
                let result = Simulator.run(seed: seed, options: options)
                if result.violation != nil { return result }
            }
            return nil
        }
        guard let caught, let violation = caught.violation else {
            Issue.record("\(mutation) survived \(Self.seedsMax) seeds")
            return
        }
        // (A learner's line for an instance no majority durably accepted is `fileContent`.)
        #expect([Property.agreement, .stability, .durability, .acceptorContract, .fileContent].contains(violation.property), "\(violation)")
    }

    /// The model checker's configuration takes no snapshot points (two values, three
    /// acceptors), and its nodes never lose their disks: a bug below a snapshot point, or a
    /// rebuilt node voting at once, is the simulator's to find (amnesia is in `all`).
    static let modelCheckable = PaxosConfiguration.Mutation.allCases.filter {
        $0 != .acceptorVotesBelowSnapshotPoint && $0 != .rejoinedNodeVotesAtOnce
    }

    @Test(arguments: modelCheckable)
    func modelCheckerCatchesMutation(_ mutation: PaxosConfiguration.Mutation) async {
        var options = ModelCheckOptions()
        options.mutations = [mutation]
        if mutation == .proposerCountsAcceptorTwice {
            // With three acceptors a proposer's own vote plus one peer's is a true majority, and a
            // proposer whose own acceptor refuses stops at once: a double count needs a quorum of three.
            options.acceptors = 5
            options.crashes = 0
        }
        // Only a call, several messages in one step, can keep the records of some and not others.
        if mutation == .callStepPersistsLastMessageOnly { options.peerCalls = true }
        let result = await onOwnThread { [options] in ModelChecker.check(options) }
        #expect(result.violation?.property == .agreement, "\(mutation) not caught; \(result.states) states")
        #expect(!result.counterexample.isEmpty)
    }
}
