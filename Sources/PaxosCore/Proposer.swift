/// The proposer of one instance (DESIGN.md section 3, steps 1, 2, 4, 5 and 7). Pure transitions;
/// `PaxosNode` turns their outcomes into messages, records and timers.
struct Proposer: Hashable, Sendable {
    let instance: InstanceNumber
    /// The command this proposer wants chosen if the instance is still free: a client's value or a no-op.
    let ownCommand: Command
    /// The submit this proposer works for, while its command is the one being proposed.
    var submit: CommandID?
    /// A round the first ballot must reach (the scenarios use the lecture's ballots, e.g. 3.1).
    var minimumRound: UInt64
    var ballot: Ballot
    var phase: Phase = .waiting
    /// Consecutive attempts that ended without a decision, for the exponential backoff.
    var failedAttempts = 0
    /// The Accept of this attempt left this node's own acceptor out; its timer adds the vote
    /// (`PaxosNode.onProposerTimer`).
    var ownVoteDeferred = false

    enum Phase: Hashable, Sendable {
        /// Between attempts: backing off, or not started yet.
        case waiting
        /// Step 2 sent; the acceptors that promised, and the highest-ballot proposal any of them
        /// had accepted (all that step 4 needs of the promises).
        case preparing(promisedBy: MemberSet, highestAccepted: AcceptedProposal?)
        /// Step 5 sent with `command`; acceptors that accepted, and the raw count of Accepted messages.
        case accepting(command: Command, acceptedBy: MemberSet, acceptedMessages: Int)
    }

    init(instance: InstanceNumber, ownCommand: Command, submit: CommandID?, minimumRound: UInt64) {
        self.instance = instance
        self.ownCommand = ownCommand
        self.submit = submit
        self.minimumRound = minimumRound
        self.ballot = .zero
    }

    enum PromiseOutcome: Hashable, Sendable {
        case waitForMore
        /// A majority promised: send Accept with `command`; `adopted` is set when step 4 took
        /// another proposer's accepted value instead of our own.
        case sendAccept(command: Command, adopted: AcceptedProposal?)
    }

    /// Step 4: on a majority of promises, adopt the value with the highest accepted ballot, if any.
    /// `acceptor` is the promising member's index in the configuration.
    mutating func onPromise(from acceptor: Int, ballot: Ballot, accepted: AcceptedProposal?,
                            quorum: Int, ignoreAcceptedValues: Bool) -> PromiseOutcome {
        guard ballot == self.ballot, case .preparing(var promisedBy, var highest) = phase else { return .waitForMore }
        promisedBy.insert(acceptor)
        if let accepted, accepted.ballot > (highest?.ballot ?? .zero) { highest = accepted }
        guard promisedBy.count >= quorum else {
            phase = .preparing(promisedBy: promisedBy, highestAccepted: highest)
            return .waitForMore
        }
        if ignoreAcceptedValues { highest = nil }
        let command = highest?.command ?? ownCommand
        phase = .accepting(command: command, acceptedBy: MemberSet(), acceptedMessages: 0)
        return .sendAccept(command: command, adopted: command == ownCommand ? nil : highest)
    }

    /// Step 7: the command is chosen once a majority of distinct acceptors accepted this ballot.
    /// Returns the chosen command, or nil while there is no majority yet. `acceptor` is the
    /// accepting member's index in the configuration.
    mutating func onAccepted(from acceptor: Int, ballot: Ballot, quorum: Int, countAcceptorTwice: Bool) -> Command? {
        guard ballot == self.ballot, case .accepting(let command, var acceptedBy, var messages) = phase else { return nil }
        acceptedBy.insert(acceptor)
        // Saturates at the quorum: past it the count decides nothing, and an unbounded counter
        // fed by duplicated messages would give the proposer infinitely many states.
        messages = min(messages + 1, quorum)
        phase = .accepting(command: command, acceptedBy: acceptedBy, acceptedMessages: messages)
        let votes = countAcceptorTwice ? messages : acceptedBy.count
        return votes >= quorum ? command : nil
    }

    /// Step 5 without this proposer's own phase 1: a leader's range promise stands for it
    /// (`Leadership`), or step 4 just chose `command`.
    mutating func beginAccepting(ballot: Ballot, command: Command, deferringOwnVote: Bool) {
        self.ballot = ballot
        phase = .accepting(command: command, acceptedBy: MemberSet(), acceptedMessages: 0)
        ownVoteDeferred = deferringOwnVote
    }

    /// Whether this proposer is waiting for answers to `ballot` (so a nack or a timeout ends the attempt).
    func isAwaitingAnswers(to ballot: Ballot) -> Bool {
        guard ballot == self.ballot else { return false }
        if case .waiting = phase { return false }
        return true
    }

    var hasSentAccept: Bool {
        if case .accepting = phase { return true }
        return false
    }
}
