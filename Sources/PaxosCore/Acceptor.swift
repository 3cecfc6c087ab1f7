/// The acceptor of one instance (DESIGN.md section 3, steps 3 and 6). A value type with pure
/// transitions: the caller persists the new state before it lets the answer leave the node.
public struct AcceptorState: Hashable, Sendable {
    public var promised: Ballot = .zero
    public var accepted: AcceptedProposal? = nil

    public init(promised: Ballot = .zero, accepted: AcceptedProposal? = nil) {
        self.promised = promised
        self.accepted = accepted
    }

    public enum PrepareAnswer: Hashable, Sendable {
        case promise(accepted: AcceptedProposal?)
        case nack(promised: Ballot)
    }

    public enum AcceptAnswer: Hashable, Sendable {
        case accepted
        case nack(promised: Ballot)
    }

    /// Step 3: promise a ballot higher than any promised before; otherwise refuse.
    /// A Prepare of exactly the ballot already promised is a duplicate or a retransmission of the
    /// same proposer's request: answering it with the same promise breaks no promise, and a nack
    /// would only make that proposer start over for nothing.
    public mutating func onPrepare(_ ballot: Ballot) -> PrepareAnswer {
        guard ballot != .zero, ballot >= promised else { return .nack(promised: promised) }
        promised = ballot
        return .promise(accepted: accepted)
    }

    /// Step 6: accept a ballot at least as high as the promise; otherwise refuse.
    /// `acceptBelowPromise` exists only to prove the checkers catch a broken acceptor.
    public mutating func onAccept(_ ballot: Ballot, command: Command, acceptBelowPromise: Bool = false) -> AcceptAnswer {
        guard ballot >= promised || acceptBelowPromise else { return .nack(promised: promised) }
        promised = max(promised, ballot)
        accepted = AcceptedProposal(ballot: ballot, command: command)
        return .accepted
    }
}
