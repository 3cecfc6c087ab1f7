/// A node rebuilt from an empty data directory (`paxos node --rejoin`, the simulator's amnesia).
///
/// Its old life promised and accepted things it no longer remembers, and an acceptor that
/// forgets a promise breaks Paxos. So it comes back as a learner that answers no Prepare,
/// Accept, range Prepare or read-index question, and first *fences* its old life:
///
/// 1. It asks every other member to grant a rejoin ballot Δ (`rejoinPrepare`). A member grants
///    only if Δ's round is above every round it has used, seen or reserved (so above every
///    promise it holds); it then durably promises Δ for every instance above what it has
///    applied (a range promise, as for a leader) and reports the highest instance where it
///    accepted a value or knows one chosen (`rejoinPromise`). Otherwise it refuses with its
///    round (`rejoinNack`), and the node asks again, higher, after a backoff. A member that is
///    rebuilding itself may grant too (see `PaxosNode.onRejoinPrepare`).
/// 2. Once every other member granted the same Δ, with f one above the highest instance
///    reported, it durably records "promise Δ from f" (`DurableRecord.rejoinFenced`).
/// 3. It keeps learning until it has applied every instance below f, makes those decisions
///    durable (`rejoinSynced`), and from then on it is an ordinary acceptor whose state is
///    "promised Δ from f, accepted nothing".
///
/// Why that is safe (the README's "Rebuilt nodes" says it at length):
/// - Every promise of the old life is below Δ. A ballot (r, P) of another member P reached the
///   old life before the disk was lost, so before P granted Δ: P's rounds used and reserved
///   then were at least r, and P granted only a round above them. The old life's own ballots
///   have rounds below the floor the shell gives (the wall clock), and Δ is above the floor.
///   So answering from f on with promise Δ breaks no forgotten promise.
/// - No value the old life accepted at f or above can ever be chosen in its ballot β: β is
///   below Δ, and every other member, having granted Δ, refuses β above its applied prefix;
///   a member that accepted β at instance i before granting reported i, so i < f. Below f
///   the node only repeats decisions it learned.
/// - The old life's own ballots are never reused (its rounds are below the floor), and its
///   command ids never repeat (the new incarnation is above the floor too).
///
/// Every other member, not a majority, must grant: with a majority alone, a member P outside
/// it could hold a ballot created before the loss and above Δ, whose range Prepare reached the
/// old life before the loss and a granting member only afterwards; P would then lead with the
/// forgotten promise counted while the rebuilt node accepts below it. (Paxos Made Live's
/// "wait for one complete instance" does not close this with range promises: one range ballot
/// spans every later instance.) The cost: a rebuilt node waits until every member is up. And
/// since it is silent below f until it has learned those instances, which the others decide,
/// at most n minus a majority members may be rebuilding at once.
struct Rejoin: Hashable, Sendable {
    enum Phase: Hashable, Sendable {
        /// Asking the other members to grant `ballot`; `granted` by position in the members.
        case fencing(ballot: Ballot?, granted: MemberSet, highestInstance: InstanceNumber, highestRoundRefused: UInt64)
        /// Every other member granted: the node votes from `from` on with promise `ballot`
        /// once it has applied everything below `from`.
        case catchingUp(from: InstanceNumber, ballot: Ballot)
        /// Applied everything below `from`; the step that got there wrote those decisions to be
        /// synced and sent the node `rejoinSynced`, which arrives once they are durable.
        case caughtUp(from: InstanceNumber, ballot: Ballot)
    }

    var phase: Phase
    /// Attempts refused or timed out in a row, for the backoff.
    var failedAttempts = 0
    /// Whether a member refused the attempt in progress (its retry is already set).
    var attemptRefused = false
    /// The floor of a rebuild that starts now, to record at start (`DurableRecord.rejoinStarted`).
    var floorToRecord: UInt64? = nil

    init(phase: Phase) { self.phase = phase }

    var isFencing: Bool {
        if case .fencing = phase { return true }
        return false
    }

    /// The ballot of the attempt in progress, if one is.
    var attemptBallot: Ballot? {
        if case .fencing(let ballot, _, _, _) = phase { return ballot }
        return nil
    }

    /// A new attempt with `ballot`: the grants of earlier ones no longer count.
    mutating func startAttempt(_ ballot: Ballot) {
        guard case .fencing(_, _, _, let refused) = phase else { return }
        phase = .fencing(ballot: ballot, granted: MemberSet(), highestInstance: 0, highestRoundRefused: refused)
        attemptRefused = false
    }

    /// The round the next attempt must be above (the highest a member refused with).
    var highestRoundRefused: UInt64 {
        if case .fencing(_, _, _, let refused) = phase { return refused }
        return 0
    }

    /// Counts the grant of the member at `index`. Returns "promise `ballot` from f" once
    /// `needed` members (every other member) granted this attempt.
    mutating func onGrant(from index: Int, ballot: Ballot, highestInstance: InstanceNumber,
                          needed: Int) -> (from: InstanceNumber, ballot: Ballot)? {
        guard case .fencing(let attempt?, var granted, var highest, let refused) = phase, attempt == ballot else { return nil }
        granted.insert(index)
        highest = max(highest, highestInstance)
        phase = .fencing(ballot: attempt, granted: granted, highestInstance: highest, highestRoundRefused: refused)
        guard granted.count >= needed else { return nil }
        return (highest + 1, attempt)
    }

    /// A member refused this attempt: its rounds reach `round`. True for the attempt's first
    /// refusal (the caller then sets the retry).
    mutating func onRefusal(ballot: Ballot, round: UInt64) -> Bool {
        guard case .fencing(let attempt?, let granted, let highest, let refused) = phase, attempt == ballot else { return false }
        phase = .fencing(ballot: attempt, granted: granted, highestInstance: highest, highestRoundRefused: max(refused, round))
        defer { attemptRefused = true }
        return !attemptRefused
    }

    /// Whether a message may reach the node while it does not vote: nothing that asks its
    /// acceptor (it does not know what it promised or accepted), except for an instance it
    /// knows chosen (answered with the decision, as always).
    static func mayHandleWhileNotVoting(_ message: Message, isChosen: (InstanceNumber) -> Bool) -> Bool {
        switch message {
        case .prepare(let instance, _), .accept(let instance, _, _, _):
            return isChosen(instance)
        case .prepareFrom, .readIndexRequest:
            return false
        default:
            return true
        }
    }
}

/// What the log says of a rejoin (`DurableState.rejoin`).
public enum RejoinProgress: Hashable, Sendable {
    /// The node was never rebuilt (it votes from its first start).
    case none
    /// Rebuilt from an empty directory: fencing the old life.
    case fencing
    /// Fenced: votes from `from` on with promise `ballot` once caught up below `from`.
    case fenced(from: InstanceNumber, ballot: Ballot)
}
