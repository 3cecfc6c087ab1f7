import PaxosCore
import Testing

@Suite("Wire limits: every number from the network is bounded before the core sees it")
struct WireLimitsTests {
    let members = [NodeID(1), NodeID(2), NodeID(3)]
    let command = Command.value(CommandID(node: NodeID(2), incarnation: 1, sequence: 1), "v")
    let ballot = Ballot(round: 7, node: NodeID(2))

    func violation(_ message: Message) -> WireLimits.Violation? {
        WireLimits.violation(of: message, members: members)
    }

    @Test("messages inside the limits pass, at the limits too")
    func withinLimits() {
        let top = Ballot(round: WireLimits.roundMax, node: NodeID(3))
        let last = WireLimits.instanceMax
        let fine: [Message] = [
            .prepare(instance: last, ballot: top),
            .promise(instance: 1, ballot: ballot, accepted: AcceptedProposal(ballot: top, command: command)),
            .accept(instance: 1, ballot: ballot, command: .noop, chosen: [1, last]),
            .accepted(instance: 1, ballot: ballot),
            .nack(instance: 1, ballot: ballot, promised: .zero),
            .learn(instance: 1, command: command),
            .prepareFrom(from: 1, ballot: top),
            .promiseFrom(from: 1, ballot: ballot, accepted: [AcceptedEntry(instance: 2, proposal: AcceptedProposal(ballot: ballot, command: command))],
                         chosen: [ChosenEntry(instance: 1, command: command)]),
            .nackFrom(from: 1, ballot: ballot, promised: top),
            .forward(command: command),
            .status(appliedThrough: 0),
            .catchUpRequest(from: last),
            .catchUpReply(entries: [ChosenEntry(instance: last, command: .noop)]),
        ]
        for message in fine { #expect(violation(message) == nil, "\(message)") }
    }

    @Test("a round above 2^62, an instance above 2^48 or of 0, a node that is not a member, a counter above 2^62, a bad value: each refused, in every place it can stand")
    func outsideLimits() {
        let highRound = Ballot(round: WireLimits.roundMax + 1, node: NodeID(2))
        let stranger = Ballot(round: 3, node: NodeID(9))
        let strangersCommand = Command.value(CommandID(node: NodeID(9), incarnation: 1, sequence: 1), "v")
        let hugeCounter = Command.value(CommandID(node: NodeID(2), incarnation: UInt64.max, sequence: 1), "v")
        let lineBreak = Command.value(CommandID(node: NodeID(2), incarnation: 1, sequence: 1), "a\nb")
        let tooFar = WireLimits.instanceMax + 1
        let refused: [Message] = [
            .prepare(instance: 1, ballot: highRound), .prepare(instance: tooFar, ballot: ballot), .prepare(instance: 0, ballot: ballot),
            .prepare(instance: 1, ballot: stranger), .prepare(instance: 1, ballot: Ballot(round: 0, node: NodeID(7))),
            .promise(instance: 1, ballot: ballot, accepted: AcceptedProposal(ballot: highRound, command: command)),
            .promise(instance: 1, ballot: ballot, accepted: AcceptedProposal(ballot: ballot, command: strangersCommand)),
            .accept(instance: 1, ballot: ballot, command: lineBreak), .accept(instance: 1, ballot: ballot, command: command, chosen: [0]),
            .accept(instance: 1, ballot: ballot, command: command, chosen: Array(repeating: 1, count: WireLimits.entriesPerMessageMax + 1)),
            .accepted(instance: tooFar, ballot: ballot), .nack(instance: 1, ballot: ballot, promised: highRound),
            .learn(instance: 1, command: hugeCounter), .learn(instance: UInt64.max, command: command),
            .prepareFrom(from: 0, ballot: ballot), .prepareFrom(from: 1, ballot: stranger),
            .promiseFrom(from: 1, ballot: ballot, accepted: [AcceptedEntry(instance: tooFar, proposal: AcceptedProposal(ballot: ballot, command: command))], chosen: []),
            .promiseFrom(from: 1, ballot: ballot, accepted: [], chosen: [ChosenEntry(instance: 1, command: lineBreak)]),
            .nackFrom(from: 1, ballot: ballot, promised: stranger), .forward(command: strangersCommand),
            .status(appliedThrough: tooFar), .catchUpRequest(from: 0),
            .catchUpReply(entries: [ChosenEntry(instance: 1, command: Command.value(CommandID(node: NodeID(2), incarnation: 1, sequence: 1), ""))]),
        ]
        for message in refused { #expect(violation(message) != nil, "\(message)") }
        #expect(WireLimits.violation(of: .learn(instance: 1, command: .value(CommandID(node: NodeID(2), incarnation: 1, sequence: 1), "12345")),
                                     members: members, valueBytesMax: 4) != nil, "the node's own value limit")
    }

    @Test("a proposer that saw the highest round a peer may send still computes its next round and reservation without overflow")
    func arithmeticAtTheLimit() {
        #expect(WireLimits.roundMax + 1 + 1_000 < UInt64(Int.max), "next round and a reservation still fit the wire's signed integers")
        #expect(WireLimits.instanceMax + UInt64(Int32.max) < UInt64(Int.max))
    }
}
