import Foundation
import PaxosLab
import Testing

/// What Ousterhout's lecture says each scenario ends with, for a cluster of `nodes` nodes where
/// S1 proposes X with ballot 3.1 and the last node Sn proposes Y with ballot 4.n.
struct LectureOutcome {
    let scenario: Scenario
    let nodes: Int
    static let x = "X"
    static let y = "Y"

    var proposerA: Int { 0 }
    var proposerB: Int { nodes - 1 }
    var ballotA: String { "3.1" }
    var ballotB: String { "4.\(nodes)" }
    /// B's quorum: B and the nodes just before it; A's quorum: A and the nodes just after it.
    var quorumB: ClosedRange<Int> { (nodes - (nodes / 2 + 1))...(nodes - 1) }

    /// The chosen value; nil for the livelock, where either may win once backoff is on.
    var chosen: String? {
        switch scenario {
        case .single, .alreadyChosen, .seenNotChosen: return Self.x
        case .unseenNotChosen: return Self.y
        case .livelock: return nil
        }
    }

    /// What each proposer's client is told, as "S1 X ours" / "S5 X theirs".
    var answers: [String] {
        let a = "S1", b = "S\(nodes)"
        switch scenario {
        case .single: return ["\(a) X ours"]
        case .alreadyChosen, .seenNotChosen: return ["\(a) X ours", "\(b) X theirs"]
        case .unseenNotChosen: return ["\(a) Y theirs", "\(b) Y ours"]
        case .livelock: return []
        }
    }

    /// Each acceptor's last accepted (ballot, value): B's quorum accepted B's ballot, the others A's.
    func accepted(by node: Int) -> (ballot: String, value: String)? {
        guard let chosen else { return nil }
        if scenario == .single || !quorumB.contains(node) { return (ballotA, Self.x) }
        return (ballotB, chosen)
    }
}

/// Resets the cluster (the lab's restart: instance 1, the lecture's ballots) and plays `scenario`.
func play(_ scenario: Scenario, on cluster: LabTestCluster, log: PrintedLines, livelockRounds: Int = 3) async throws -> ScenarioRunner.Result {
    log.clear()
    try await cluster.lab.reset()
    let runner = ScenarioRunner(cluster: cluster.lab, livelockRounds: livelockRounds, print: log.printer)
    let n = cluster.lab.nodes.count
    return try await runner.run(scenario, a: 0, b: n - 1, valueA: LectureOutcome.x, valueB: LectureOutcome.y)
}

/// Checks one run against the lecture: the runner's own verdict, the chosen value, every client's
/// answer, every acceptor's accepted ballot and value, and every node's file.
func expectLectureOutcome(_ result: ScenarioRunner.Result, _ scenario: Scenario, on cluster: LabTestCluster,
                          run: Int, log: PrintedLines, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let n = cluster.lab.nodes.count
    let lecture = LectureOutcome(scenario: scenario, nodes: n)
    let outcome = result.outcome
    let context = "\(scenario.rawValue) on \(n) nodes, run \(run)"
    #expect(outcome.succeeded, "\(context): \(outcome.problems)\n\(log.text)", sourceLocation: sourceLocation)
    #expect(outcome.instance == 1, "\(context): a reset cluster plays on instance 1", sourceLocation: sourceLocation)
    if let chosen = lecture.chosen {
        #expect(outcome.chosen == chosen, "\(context)\n\(log.text)", sourceLocation: sourceLocation)
    } else {
        #expect([LectureOutcome.x, LectureOutcome.y].contains(outcome.chosen), "\(context)\n\(log.text)", sourceLocation: sourceLocation)
    }
    let answers = outcome.answers.map { "S\($0.node + 1) \($0.value) \($0.ours ? "ours" : "theirs")" }.sorted()
    #expect(answers == lecture.answers, "\(context): the clients' answers\n\(log.text)", sourceLocation: sourceLocation)

    for node in 0..<n {
        guard let expected = lecture.accepted(by: node) else { break }
        let state = try await cluster.lab.acceptor(on: node, instance: outcome.instance)
        #expect(state.accepted == expected.ballot && state.value == expected.value,
                "\(context): S\(node + 1) accepted \(state.accepted) \(state.value), the lecture says \(expected.ballot) \(expected.value)",
                sourceLocation: sourceLocation)
        #expect(state.chosen == outcome.chosen, "\(context): S\(node + 1) knows \(state.chosen ?? "nothing") as chosen",
                sourceLocation: sourceLocation)
    }
    // The runner waited until every file holds the line; after a reset it is the only one.
    let files = try await cluster.filesOverRPC()
    #expect(files == Array(repeating: "1 \(outcome.chosen)\n", count: n), "\(context): files \(files)", sourceLocation: sourceLocation)
}
