/// Multi-Paxos for the distinguished proposer: phase 1 once for every instance from `from` on
/// (one `prepareFrom`), then phase 2 alone for each new value, which saves a round trip and a
/// disk write on every acceptor per decision.
///
/// Safety is Basic Paxos's, instance by instance: a majority promised `ballot` for every
/// instance from `from` on and reported what they had accepted there. An instance where some
/// value was reported is proposed again with the highest-ballot one (step 4) when leadership
/// begins; every other instance from `from` on was reported free, so the leader's own value may
/// go straight to step 5 there. Each instance gets at most one value in `ballot`: `used` holds
/// every instance this ballot carried a value in (above what the node has applied). Losing the
/// promise somewhere (a nack) only ends the shortcut: the instance's proposer falls back to its
/// own phase 1 with a higher ballot.
struct Leadership: Hashable, Sendable {
    let from: InstanceNumber
    let ballot: Ballot
    var phase: Phase

    enum Phase: Hashable, Sendable {
        /// `prepareFrom` sent; who promised, and per instance the highest-ballot proposal reported.
        case preparing(promisedBy: MemberSet, reported: [InstanceNumber: AcceptedProposal])
        /// A majority promised: new values go straight to Accept, in any instance from `from` on
        /// that this ballot has not carried a value in yet.
        case leading(used: Set<InstanceNumber>)
    }

    init(from: InstanceNumber, ballot: Ballot) {
        self.from = from
        self.ballot = ballot
        self.phase = .preparing(promisedBy: MemberSet(), reported: [:])
    }

    var isLeading: Bool {
        if case .leading = phase { return true }
        return false
    }

    /// Step 4 for the whole range: counts a promise and keeps the highest proposal per instance.
    /// Returns what was reported once a majority promised (the caller then starts leading).
    mutating func onPromise(from acceptor: Int, ballot: Ballot, accepted: [AcceptedEntry],
                            quorum: Int) -> [InstanceNumber: AcceptedProposal]? {
        guard ballot == self.ballot, case .preparing(var promisedBy, var reported) = phase else { return nil }
        promisedBy.insert(acceptor)
        for entry in accepted where entry.instance >= from {
            if entry.proposal.ballot > (reported[entry.instance]?.ballot ?? .zero) {
                reported[entry.instance] = entry.proposal
            }
        }
        phase = .preparing(promisedBy: promisedBy, reported: reported)
        return promisedBy.count >= quorum ? reported : nil
    }

    /// Whether a new value may skip phase 1 in `candidate`; if so, the instance is now used.
    /// Instances up to `applied` are chosen and never candidates again, so they are forgotten.
    mutating func claim(_ candidate: InstanceNumber, applied: InstanceNumber) -> Bool {
        guard candidate >= from, case .leading(var used) = phase, !used.contains(candidate) else { return false }
        phase = .preparing(promisedBy: MemberSet(), reported: [:])  // `used` is uniquely referenced while it changes
        if used.count >= Self.usedInstancesPruneThreshold { used = used.filter { $0 > applied } }
        used.insert(candidate)
        phase = .leading(used: used)
        return true
    }

    /// `used` is pruned of applied instances when it reaches this size: it stays about as large
    /// as the number of proposals in flight.
    static let usedInstancesPruneThreshold = 256
}
