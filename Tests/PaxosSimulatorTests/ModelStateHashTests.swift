import PaxosCore
import Testing
@testable import PaxosSimulator

/// The search hashes a state from per-node hashes that `ModelTransitions.apply` refreshes only
/// for the node a move names. A move that changed another node as well would leave a stale hash,
/// and the search would merge states that differ: these walks fail if any move does.
@Suite struct ModelStateHashTests {
    static let configurations: [(name: String, options: ModelCheckOptions)] = {
        var basic = ModelCheckOptions()
        basic.rounds = 3
        basic.crashes = 4
        var multi = ModelCheckOptions()
        multi.multiPaxos = true
        multi.crashes = 3
        multi.heartbeats = 4
        var fiveNodes = ModelCheckOptions(acceptors: 5, proposers: 3, rounds: 2, crashes: 3)
        fiveNodes.explicitDrops = true
        var diskLoss = ModelCheckOptions()
        diskLoss.diskLosses = 2
        var calls = multi
        calls.peerCalls = true
        var callsConsumed = basic
        callsConsumed.peerCalls = true
        callsConsumed.duplicates = false
        return [("basic", basic), ("multi-paxos", multi), ("five nodes, drops", fiveNodes), ("disk losses", diskLoss),
                ("multi-paxos, peer calls", calls), ("basic, peer calls without duplicates", callsConsumed)]
    }()

    @Test(arguments: configurations.indices)
    func everyMoveLeavesEveryNodeHashCurrent(_ index: Int) {
        let (name, options) = Self.configurations[index]
        let transitions = ModelTransitions(options: options)
        var random = SplitMix64(seed: 11)
        var moves = 0
        for _ in 0..<40 {
            var state = transitions.initialState()
            #expect(state.hasCurrentNodeHashes, "\(name): initial state")
            for _ in 0..<60 {
                let actions = transitions.actions(in: state)
                guard !actions.isEmpty else { break }
                let action = actions[Int(random.next() % UInt64(actions.count))]
                var successor = state
                guard transitions.apply(action, to: &successor) else { continue }
                moves += 1
                guard successor.hasCurrentNodeHashes else {
                    Issue.record("\(name): \(transitions.describe(action, in: state)) changed a node it does not name")
                    return
                }
                state = successor
            }
        }
        #expect(moves > 1000, "\(name): the walks moved")
    }
}
