/// One protocol step, as the lab's logs and the lecture's diagrams name them.
public enum TraceEvent: Hashable, Sendable, CustomStringConvertible {
    case prepareSent(instance: InstanceNumber, ballot: Ballot)
    case promised(instance: InstanceNumber, ballot: Ballot, to: NodeID, accepted: AcceptedProposal?)
    case prepareRefused(instance: InstanceNumber, ballot: Ballot, to: NodeID, promised: Ballot)
    case valueAdopted(instance: InstanceNumber, ballot: Ballot, adopted: AcceptedProposal)
    case acceptSent(instance: InstanceNumber, ballot: Ballot, command: Command)
    case acceptedValue(instance: InstanceNumber, ballot: Ballot, from: NodeID, command: Command)
    case acceptRefused(instance: InstanceNumber, ballot: Ballot, from: NodeID, promised: Ballot)
    case preempted(instance: InstanceNumber, ballot: Ballot, by: Ballot, retryAfterMilliseconds: UInt64)
    case timedOut(instance: InstanceNumber, ballot: Ballot, retryAfterMilliseconds: UInt64)
    case chosen(instance: InstanceNumber, ballot: Ballot, command: Command)
    case learned(instance: InstanceNumber, command: Command)
    // Multi-Paxos: phase 1 for every instance from `from` on.
    case rangePrepareSent(instance: InstanceNumber, ballot: Ballot)
    case rangePromised(instance: InstanceNumber, ballot: Ballot, to: NodeID, reported: Int)
    case rangePrepareRefused(instance: InstanceNumber, ballot: Ballot, to: NodeID, promised: Ballot)
    case leading(instance: InstanceNumber, ballot: Ballot, reproposed: Int)
    case leadershipEnded(instance: InstanceNumber, ballot: Ballot, by: Ballot?)
    /// A rebuilt node votes again: promise `ballot` from `instance` on (`Rejoin`).
    case rejoined(instance: InstanceNumber, ballot: Ballot)
    // Bounded history: a snapshot point moved here, a peer offered one, one was installed.
    case compacted(through: InstanceNumber)
    case snapshotOffered(through: InstanceNumber, by: NodeID)
    case snapshotInstalled(through: InstanceNumber)

    public var instance: InstanceNumber {
        switch self {
        case .prepareSent(let i, _), .promised(let i, _, _, _), .prepareRefused(let i, _, _, _),
             .valueAdopted(let i, _, _), .acceptSent(let i, _, _), .acceptedValue(let i, _, _, _),
             .acceptRefused(let i, _, _, _), .preempted(let i, _, _, _), .timedOut(let i, _, _),
             .chosen(let i, _, _), .learned(let i, _),
             .rangePrepareSent(let i, _), .rangePromised(let i, _, _, _), .rangePrepareRefused(let i, _, _, _),
             .leading(let i, _, _), .leadershipEnded(let i, _, _), .rejoined(let i, _),
             .compacted(let i), .snapshotOffered(let i, _), .snapshotInstalled(let i):
            return i
        }
    }

    public var description: String {
        switch self {
        case .prepareSent(let i, let b):
            return "instance \(i): prepare \(b) sent"
        case .promised(let i, let b, let to, let accepted):
            return "instance \(i): promise \(b) to \(to), accepted \(accepted.map(\.description) ?? "(none)")"
        case .prepareRefused(let i, let b, let to, let promised):
            return "instance \(i): nack prepare \(b) from \(to), promised \(promised)"
        case .valueAdopted(let i, let b, let adopted):
            return "instance \(i): ballot \(b) adopts value \(adopted.command) accepted in \(adopted.ballot)"
        case .acceptSent(let i, let b, let command):
            return "instance \(i): accept \(b) \(command) sent"
        case .acceptedValue(let i, let b, let from, let command):
            return "instance \(i): accepted \(b) \(command) for \(from)"
        case .acceptRefused(let i, let b, let from, let promised):
            return "instance \(i): nack accept \(b) from \(from), promised \(promised)"
        case .preempted(let i, let b, let by, let wait):
            return "instance \(i): ballot \(b) preempted by \(by), retry in \(wait) ms"
        case .timedOut(let i, let b, let wait):
            return "instance \(i): ballot \(b) heard no majority in time, retry in \(wait) ms"
        case .chosen(let i, let b, let command):
            return "instance \(i): chosen \(command) in ballot \(b)"
        case .learned(let i, let command):
            return "instance \(i): learned \(command)"
        case .rangePrepareSent(let i, let b):
            return "instances \(i)...: prepare \(b) sent"
        case .rangePromised(let i, let b, let to, let reported):
            return "instances \(i)...: promise \(b) to \(to), \(reported) accepted reported"
        case .rangePrepareRefused(let i, let b, let to, let promised):
            return "instances \(i)...: nack prepare \(b) from \(to), promised \(promised)"
        case .leading(let i, let b, let reproposed):
            return "instances \(i)...: leading in ballot \(b), \(reproposed) accepted values proposed again"
        case .leadershipEnded(let i, let b, let by):
            return "instances \(i)...: ballot \(b) no longer leads" + (by.map { ", preempted by \($0)" } ?? "")
        case .rejoined(let i, let b):
            return "instances \(i)...: rebuilt node votes again, promised \(b)"
        case .compacted(let i):
            return "instances ...\(i): compacted into the snapshot point"
        case .snapshotOffered(let i, let by):
            return "instances ...\(i): snapshot offered by \(by)"
        case .snapshotInstalled(let i):
            return "instances ...\(i): snapshot installed"
        }
    }
}

extension TraceEvent {
    /// Which of the seven steps of DESIGN.md section 3 this is (a restart after a preemption or
    /// a timeout belongs to step 7, which sends the proposer back to step 1).
    public var protocolStep: Int {
        switch self {
        case .prepareSent, .rangePrepareSent: return 2
        case .promised, .prepareRefused, .rangePromised, .rangePrepareRefused: return 3
        case .leading: return 4
        case .leadershipEnded: return 7
        case .rejoined: return 3
        case .valueAdopted: return 4
        case .acceptSent: return 5
        case .acceptedValue, .acceptRefused: return 6
        case .chosen, .learned, .preempted, .timedOut: return 7
        case .compacted, .snapshotOffered, .snapshotInstalled: return 7
        }
    }

    /// A short name of the step, for filters and diagrams.
    public var kind: String {
        switch self {
        case .prepareSent: return "prepareSent"
        case .promised: return "promised"
        case .prepareRefused: return "prepareRefused"
        case .valueAdopted: return "valueAdopted"
        case .acceptSent: return "acceptSent"
        case .acceptedValue: return "accepted"
        case .acceptRefused: return "acceptRefused"
        case .preempted: return "preempted"
        case .timedOut: return "timedOut"
        case .chosen: return "chosen"
        case .learned: return "learned"
        case .rangePrepareSent: return "rangePrepareSent"
        case .rangePromised: return "rangePromised"
        case .rangePrepareRefused: return "rangePrepareRefused"
        case .leading: return "leading"
        case .leadershipEnded: return "leadershipEnded"
        case .rejoined: return "rejoined"
        case .compacted: return "compacted"
        case .snapshotOffered: return "snapshotOffered"
        case .snapshotInstalled: return "snapshotInstalled"
        }
    }
}
