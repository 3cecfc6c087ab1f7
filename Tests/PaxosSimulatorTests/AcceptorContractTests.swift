import PaxosCore
@testable import PaxosSimulator
import Testing

/// The acceptor contract keeps range promises as the rule states them (every instance from a
/// promise's start is bound by it), independently of the core's `RangePromise`.
@Suite struct AcceptorContractTests {
    private func ballot(_ round: UInt64, _ node: UInt32 = 1) -> Ballot { Ballot(round: round, node: NodeID(node)) }

    /// The case of swarm seed 89711 with `range-promise-restarts-at-new-start`: an acceptor
    /// promised from instance 436 in 903.1, then from 520 in 1005.2, and a late Accept of
    /// ballot 804.1 for instance 444 arrives. The later promise does not lift the earlier one.
    @Test func aLaterRangePromiseFromAHigherStartKeepsTheEarlierOneBelowIt() {
        var contract = AcceptorContract(nodes: 3)
        contract.promisedRange(1, from: 436, ballot: ballot(903))
        contract.promisedRange(1, from: 520, ballot: ballot(1005, 2))
        let broken = contract.answered(1, instance: 444, ballot: ballot(804), accepting: true)
        #expect(broken == "S2 accepted 804.1 in instance 444 after promising or accepting 903.1 there")
        #expect(contract.answered(1, instance: 444, ballot: ballot(903), accepting: true) == nil)
        #expect(contract.answered(1, instance: 435, ballot: ballot(2), accepting: true) == nil, "below every start: no range promise")
        #expect(contract.answered(1, instance: 530, ballot: ballot(1000), accepting: false) != nil)
    }

    /// Against the rule computed by brute force: the promise at an instance is the highest
    /// ballot of every range promise starting at or below it.
    @Test func theStaircaseAnswersWhatEveryPromiseTogetherSays() {
        var random = SplitMix64(seed: 14)
        for _ in 0..<200 {
            var promises = RangePromises()
            var made: [(start: InstanceNumber, ballot: Ballot)] = []
            for _ in 0..<(1 + random.next() % 12) {
                let start = InstanceNumber(1 + random.next() % 40)
                let made1 = ballot(1 + random.next() % 30, UInt32(1 + random.next() % 3))
                promises.add(start: start, ballot: made1)
                made.append((start, made1))
                for instance in InstanceNumber(0)...45 {
                    let expected = made.filter { $0.start <= instance }.map(\.ballot).max() ?? .zero
                    #expect(promises.ballot(at: instance) == expected, "instance \(instance) after \(made)")
                }
            }
            #expect(promises.steps.count <= made.count)
        }
    }
}
