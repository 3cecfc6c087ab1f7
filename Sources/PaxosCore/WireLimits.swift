/// Bounds on every number and list a node takes from the network (DESIGN.md section 8: a limit
/// on everything). The shell checks each message against them after decoding it and before the
/// core sees it, so nothing in the core has to trust a peer's arithmetic.
///
/// The margins are what make the core's own arithmetic safe: a proposer's next round is the
/// highest round it saw plus one, and it reserves `roundReservation` rounds past that; with
/// rounds at most 2^62 neither can overflow a UInt64 nor the wire's signed 64-bit integers.
/// Honest proposers start at round 1 and add one per attempt, so they never get near the limit;
/// only a member could push them there, and members are trusted (README, Security).
public enum WireLimits {
    /// The highest round a ballot from the network may carry.
    public static let roundMax: UInt64 = 1 << 62
    /// The highest round a client may ask `propose` to start from (the lecture's 3.1 needs 3).
    public static let clientRoundMax: UInt64 = 1 << 32
    /// The highest instance number: 2^48 values at a million per second last nine years.
    public static let instanceMax: InstanceNumber = 1 << 48
    /// The highest era (eras count admin resets).
    public static let eraMax: UInt64 = 1 << 48
    /// The highest incarnation or sequence number of a command id (incarnations count restarts,
    /// sequences the submits of one incarnation).
    public static let commandCounterMax: UInt64 = 1 << 62
    /// Messages in one `paxos.peer` call (a node sends at most 512).
    public static let messagesPerCallMax = 4_096
    /// Entries in one message's list (chosen instances, accepted and chosen entries of a range
    /// promise, catch-up entries).
    public static let entriesPerMessageMax = 65_536

    public struct Violation: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Why `message` from `sender` is outside the limits, or nil when it is fine. Node ids must
    /// be members (a ballot of round 0 may name node 0: that is `Ballot.zero`; a command id of
    /// node 0 is one a client named, see `CommandID.clientNamed`); values must
    /// follow `ValueRules`, so nothing from the wire can break the replicated file's lines.
    public static func violation(of message: Message, members: [NodeID], valueBytesMax: Int = ValueRules.valueBytesMaxDefault)
        -> Violation?
    {
        var checker = Checker(members: members, valueBytesMax: valueBytesMax)
        checker.check(message)
        return checker.problem.map(Violation.init)
    }

    private struct Checker {
        let members: [NodeID]
        let valueBytesMax: Int
        var problem: String?

        mutating func check(_ message: Message) {
            switch message {
            case .prepare(let instance, let ballot), .accepted(let instance, let ballot):
                check(instance: instance); check(ballot)
            case .promise(let instance, let ballot, let accepted):
                check(instance: instance); check(ballot)
                if let accepted { check(accepted) }
            case .accept(let instance, let ballot, let command, let chosen):
                check(instance: instance); check(ballot); check(command)
                check(count: chosen.count, "chosen")
                for instance in chosen { check(instance: instance) }
            case .nack(let instance, let ballot, let promised):
                check(instance: instance); check(ballot); check(promised)
            case .learn(let instance, let command):
                check(instance: instance); check(command)
            case .prepareFrom(let from, let ballot):
                check(instance: from); check(ballot)
            case .promiseFrom(let from, let ballot, let accepted, let chosen):
                check(instance: from); check(ballot)
                check(count: accepted.count, "accepted"); check(count: chosen.count, "chosen")
                for entry in accepted { check(instance: entry.instance); check(entry.proposal) }
                for entry in chosen { check(entry) }
            case .nackFrom(let from, let ballot, let promised):
                check(instance: from); check(ballot); check(promised)
            case .forward(let command):
                check(command)
            case .status(let applied, let accepted):
                check(instance: applied, allowZero: true); check(instance: accepted, allowZero: true)
            case .catchUpRequest(let from):
                check(instance: from)
            case .catchUpReply(let entries):
                check(count: entries.count, "entries")
                for entry in entries { check(entry) }
            case .readIndexRequest:
                break
            case .readIndexReply(_, let highest):
                check(instance: highest, allowZero: true)
            case .rejoinPrepare(let ballot):
                check(ballot)
            case .rejoinPromise(let ballot, let highest):
                check(ballot); check(instance: highest, allowZero: true)
            case .rejoinNack(let ballot, let round):
                check(ballot)
                if round > WireLimits.roundMax { fail("round \(round) is above the limit \(WireLimits.roundMax)") }
            case .snapshotOffer(let through):
                check(instance: through)
            case .rejoinSynced:
                fail("rejoinSynced is a node's note to itself, never a peer's message")
            }
        }

        mutating func fail(_ text: String) { if problem == nil { problem = text } }

        mutating func check(instance: InstanceNumber, allowZero: Bool = false) {
            if instance == 0 && !allowZero { fail("instance 0 does not exist (instances start at 1)") }
            if instance > WireLimits.instanceMax { fail("instance \(instance) is above the limit \(WireLimits.instanceMax)") }
        }

        mutating func check(_ ballot: Ballot) {
            if ballot.round > WireLimits.roundMax { fail("round \(ballot.round) is above the limit \(WireLimits.roundMax)") }
            if ballot.round == 0 && ballot.node.rawValue == 0 { return }  // Ballot.zero: nothing promised yet
            if !members.contains(ballot.node) { fail("ballot \(ballot) names node \(ballot.node), which is not a member") }
        }

        mutating func check(_ proposal: AcceptedProposal) {
            check(proposal.ballot); check(proposal.command)
        }

        mutating func check(_ entry: ChosenEntry) {
            check(instance: entry.instance); check(entry.command)
        }

        mutating func check(_ command: Command) {
            guard case .value(let id, let text) = command else { return }
            if !id.isClientNamed && !members.contains(id.node) { fail("command \(id) names node \(id.node), which is not a member") }
            if id.incarnation > WireLimits.commandCounterMax || id.sequence > WireLimits.commandCounterMax {
                fail("command \(id) has a counter above the limit \(WireLimits.commandCounterMax)")
            }
            if let violation = ValueRules.check(text, valueBytesMax: valueBytesMax) { fail("a value from the network: \(violation)") }
        }

        mutating func check(count: Int, _ name: String) {
            if count > WireLimits.entriesPerMessageMax { fail("\(count) entries in '\(name)', above the limit \(WireLimits.entriesPerMessageMax)") }
        }
    }
}
