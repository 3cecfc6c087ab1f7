import PaxosCore

/// The lecture's Basic Paxos scenarios (five servers S1...S5; S1 proposes X with ballot 3.1, S5
/// proposes Y with ballot 4.5) as exact schedules over the real core. Each returns the cluster
/// after the schedule, so that a test, a printout or a diagram can read what happened.
public enum LectureScenarios {
    public static let nodes = 5

    /// "Previous value already chosen": X is chosen by S1, S2, S3 before S5 prepares; S3's promise
    /// carries X, so S5 adopts X. Outcome: X, for both proposers.
    public static func alreadyChosen() -> (cluster: ScheduledCluster, s1: RequestID, s5: RequestID) {
        var cluster = ScheduledCluster(nodes: nodes)
        let s1 = cluster.propose(at: 1, "X", minimumRound: 3)
        cluster.roundTrip(.prepare, from: 1, to: [2, 3])
        cluster.roundTrip(.accept, from: 1, to: [2, 3])
        let s5 = cluster.propose(at: 5, "Y", minimumRound: 4)
        cluster.roundTrip(.prepare, from: 5, to: [3, 4])
        cluster.roundTrip(.accept, from: 5, to: [3, 4])
        return (cluster, s1, s5)
    }

    /// "Previous value not chosen, but the new proposer sees it": only S3 (and S1 itself) accepted
    /// X when S5 prepares; S3's promise carries X, S5 adopts it, and S1's late Accept to S2
    /// completes X as well. Outcome: X, for both.
    public static func seenNotChosen() -> (cluster: ScheduledCluster, s1: RequestID, s5: RequestID) {
        var cluster = ScheduledCluster(nodes: nodes)
        let s1 = cluster.propose(at: 1, "X", minimumRound: 3)
        cluster.roundTrip(.prepare, from: 1, to: [2, 3])
        cluster.deliver(.accept, from: 1, to: [3])
        let s5 = cluster.propose(at: 5, "Y", minimumRound: 4)
        cluster.roundTrip(.prepare, from: 5, to: [3, 4])
        cluster.roundTrip(.accept, from: 5, to: [3, 4])
        cluster.deliver(.accept, from: 1, to: [2])
        cluster.deliver(.accepted, from: 3, to: [1])
        cluster.deliver(.accepted, from: 2, to: [1])
        return (cluster, s1, s5)
    }

    /// "Previous value not chosen, and the new proposer does not see it": only S1 accepted X when
    /// S5 prepares with S3, S4, S5, so S5 keeps Y and Y is chosen. S1's late Accept is refused by
    /// S3; S1 retries with 5.1, sees Y in the promises, and adopts it. Outcome: Y, for both.
    public static func unseenNotChosen() -> (cluster: ScheduledCluster, s1: RequestID, s5: RequestID) {
        var cluster = ScheduledCluster(nodes: nodes)
        let s1 = cluster.propose(at: 1, "X", minimumRound: 3)
        cluster.roundTrip(.prepare, from: 1, to: [2, 3])
        let s5 = cluster.propose(at: 5, "Y", minimumRound: 4)
        cluster.roundTrip(.prepare, from: 5, to: [3, 4])
        cluster.roundTrip(.accept, from: 5, to: [3, 4])
        cluster.roundTrip(.accept, from: 1, to: [2, 3])
        cluster.fireProposerTimer(at: 1)
        cluster.roundTrip(.prepare, from: 1, to: [2, 3])
        cluster.roundTrip(.accept, from: 1, to: [2, 3])
        return (cluster, s1, s5)
    }

    /// Livelock: S1 and S5 keep preempting each other at S3 (P3.1, P3.5, A3.1 refused, P4.1,
    /// A3.5 refused, P5.5, ...) and, retrying at once (no backoff), never choose anything.
    /// `duels` is the number of times each proposer is preempted.
    public static func livelock(duels: Int) -> ScheduledCluster {
        var cluster = ScheduledCluster(nodes: nodes, backoff: .none)
        cluster.propose(at: 1, "X", minimumRound: 3)
        cluster.roundTrip(.prepare, from: 1, to: [2, 3])
        cluster.propose(at: 5, "Y", minimumRound: 3)
        cluster.roundTrip(.prepare, from: 5, to: [3, 4])
        for _ in 0..<duels {
            // S1's Accept reaches S3 after S5's Prepare: refused. S1 retries higher at once...
            cluster.roundTrip(.accept, from: 1, to: [3])
            cluster.fireProposerTimer(at: 1)
            cluster.roundTrip(.prepare, from: 1, to: [2, 3])
            // ...and preempts S5 the same way.
            cluster.roundTrip(.accept, from: 5, to: [3])
            cluster.fireProposerTimer(at: 5)
            cluster.roundTrip(.prepare, from: 5, to: [3, 4])
        }
        return cluster
    }
}
