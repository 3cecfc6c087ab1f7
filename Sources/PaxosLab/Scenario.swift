/// The lab's textbook scenarios, after Ousterhout's Paxos lecture: servers S1..S5, ballots
/// `round.server`, S1 proposes X with ballot 3.1 and S5 proposes Y with ballot 4.5.
public enum Scenario: String, CaseIterable, Sendable {
    /// One proposer; its value is chosen and the client is told so.
    case single
    /// X is chosen before S5 starts; S5's Prepare finds it at S3, and S5 proposes X.
    case alreadyChosen = "already-chosen"
    /// X was accepted by S3 only; S5 sees it there and adopts it; S1 later succeeds with X too.
    case seenNotChosen = "seen-not-chosen"
    /// X was accepted by S1 (and S2) but S5's quorum never saw it: Y wins, S1 learns Y.
    case unseenNotChosen = "unseen-not-chosen"
    /// S1 and S5 preempt each other round after round without backoff; randomized backoff cures it.
    case livelock

    /// The seed's names for the same scenarios.
    public static let aliases: [String: Scenario] = [
        "a-wins": .alreadyChosen, "b-wins": .seenNotChosen, "bb-wins": .unseenNotChosen,
    ]

    public static func named(_ name: String) -> Scenario? {
        let key = name.lowercased().replacingOccurrences(of: "_", with: "-")
        return Scenario(rawValue: key) ?? aliases[key]
    }

    public static var allNames: [String] { allCases.map(\.rawValue) + aliases.keys.sorted() }

    public var summary: String {
        switch self {
        case .single: return "one proposer: its value is chosen and the client is told so"
        case .alreadyChosen: return "X chosen before S5 starts; S5 finds X at S3 and proposes X (the seed's A_wins)"
        case .seenNotChosen: return "S5 sees X accepted at S3, adopts it; both proposers succeed with X (the seed's B_wins)"
        case .unseenNotChosen: return "S5 never sees X; Y is chosen, S1's proposal is blocked and S1 learns Y (the seed's BB_wins)"
        case .livelock: return "S1 and S5 preempt each other without backoff; randomized backoff converges"
        }
    }
}

/// What a scenario ended with.
public struct ScenarioOutcome: Sendable {
    public var instance: Int
    /// The value every node holds for the instance.
    public var chosen: String
    /// The lecture's value for the instance.
    public var expected: String
    /// What each proposer's client was told: (node index, chosen value, whether it was its own).
    public var answers: [(node: Int, value: String, ours: Bool)]
    public var problems: [String]
    public var succeeded: Bool { problems.isEmpty }
}
