/// What nodes say to each other. Every message names its instance, so the same shapes carry
/// Multi-Paxos later (a Prepare for "all instances >= k" is one more case, not a rewrite).
public enum Message: Hashable, Sendable {
    /// Step 2: a proposer asks for a promise not to accept anything below `ballot`.
    case prepare(instance: InstanceNumber, ballot: Ballot)
    /// Step 3: the promise, carrying what this acceptor accepted before, if anything.
    case promise(instance: InstanceNumber, ballot: Ballot, accepted: AcceptedProposal?)
    /// Step 5: a proposer asks acceptors to accept `command` in `ballot`. `chosen` lists instances
    /// already chosen in `ballot` (a leader announces its decisions on its next Accept, as Raft's
    /// AppendEntries carries the commit index): an acceptor that accepted a value there in
    /// `ballot` learns it without a Learn, since a ballot carries one value per instance.
    case accept(instance: InstanceNumber, ballot: Ballot, command: Command, chosen: [InstanceNumber] = [])
    /// Step 6: the acceptor accepted `ballot`.
    case accepted(instance: InstanceNumber, ballot: Ballot)
    /// Steps 3 and 6: refused, because the acceptor has promised `promised`, which is higher.
    case nack(instance: InstanceNumber, ballot: Ballot, promised: Ballot)
    /// Step 7: `command` is chosen for `instance` (the lab's "commit").
    case learn(instance: InstanceNumber, command: Command)
    /// Multi-Paxos, step 2 for every instance from `from` on at once: the distinguished
    /// proposer asks once, then sends only Accepts while the promise holds.
    case prepareFrom(from: InstanceNumber, ballot: Ballot)
    /// Step 3 for every instance from `from` on: what this acceptor accepted there, and what it
    /// knows to be chosen there (a chosen instance's acceptor state is no longer kept current).
    case promiseFrom(from: InstanceNumber, ballot: Ballot, accepted: [AcceptedEntry], chosen: [ChosenEntry])
    /// Refused: some instance from `from` on has a promise higher than `ballot`.
    case nackFrom(from: InstanceNumber, ballot: Ballot, promised: Ballot)
    /// A client's submit, passed to the distinguished proposer.
    case forward(command: Command)
    /// Anti-entropy: "I have applied every instance up to `appliedThrough`, and accepted a value
    /// in none above `acceptedThrough`". The second tells a leader of values its followers
    /// accepted that it no longer knows of (it left its own vote out, then restarted): it
    /// finishes them (`PaxosNode.onHeartbeat`).
    case status(appliedThrough: InstanceNumber, acceptedThrough: InstanceNumber = 0)
    /// Catch-up: "send me what you know to be chosen from `from` on".
    case catchUpRequest(from: InstanceNumber)
    /// The answer: chosen entries in instance order (bounded in count and bytes).
    case catchUpReply(entries: [ChosenEntry])
    /// A linearizable read's question (`ReadQuorums`): "what is the highest instance in which
    /// you accepted a value or know one chosen?" `read` names the read at its node.
    case readIndexRequest(read: UInt64)
    /// The answer to `readIndexRequest`.
    case readIndexReply(read: UInt64, highest: InstanceNumber)
    /// A rebuilt node fences its lost life (`Rejoin`): "promise `ballot` for every instance
    /// above what you have applied, and tell me how far your log goes".
    case rejoinPrepare(ballot: Ballot)
    /// Granted: the highest instance where the member accepted a value or knows one chosen.
    case rejoinPromise(ballot: Ballot, highestInstance: InstanceNumber)
    /// Refused: the member's rounds reach `round` (used, seen or reserved); ask above it.
    case rejoinNack(ballot: Ballot, round: UInt64)
    /// A rebuilt node's note to itself, sent with the step that applied the last instance below
    /// its fence: delivered after that step's records are durable, it lets the node vote
    /// (`PaxosNode.finishRejoinIfCaughtUp`). From any other node it means nothing.
    case rejoinSynced
    /// Bounded history: the sender compacted every instance through `through` into a snapshot
    /// and cannot answer for them one by one (a Prepare, Accept or catch-up request below its
    /// snapshot point); a receiver behind it fetches the snapshot (`Ready.snapshotWanted`).
    case snapshotOffer(through: InstanceNumber)

    public var instance: InstanceNumber? {
        switch self {
        case .prepare(let instance, _), .promise(let instance, _, _), .accept(let instance, _, _, _),
             .accepted(let instance, _), .nack(let instance, _, _), .learn(let instance, _):
            return instance
        case .prepareFrom(let from, _), .promiseFrom(let from, _, _, _), .nackFrom(let from, _, _):
            return from
        case .status, .catchUpRequest, .catchUpReply, .forward, .readIndexRequest, .readIndexReply, .snapshotOffer,
             .rejoinPrepare, .rejoinPromise, .rejoinNack, .rejoinSynced:
            return nil
        }
    }
}

/// A message with its sender and addressee.
public struct Envelope: Hashable, Sendable {
    public var from: NodeID
    public var to: NodeID
    public var message: Message

    public init(from: NodeID, to: NodeID, message: Message) {
        self.from = from
        self.to = to
        self.message = message
    }
}
