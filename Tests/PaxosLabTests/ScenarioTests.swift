import Foundation
import PaxosLab
import SequenceDiagram
import Testing

/// Every test of this target plays on real node processes; one at a time, so that a suite's
/// cluster is never shared by two tests and the timing on two shared cores stays calm.
@Suite("The lab on live clusters", .serialized)
struct LabAcceptanceTests {}

extension LabAcceptanceTests {
    @Suite("The lecture's scenarios, 20 times each on one 5-node cluster", .liveCluster(nodes: 5), .timeLimit(.minutes(10)))
    struct FiveNodes {
        static let runs = 20

        @Test("Each scenario gives the lecture's outcome 20 times in a row", arguments: Scenario.allCases)
        func twentyRunsInARow(_ scenario: Scenario) async throws {
            let cluster = try suiteCluster()
            let log = PrintedLines()
            let started = Date()
            for run in 1...Self.runs {
                let result = try await play(scenario, on: cluster, log: log)
                try await expectLectureOutcome(result, scenario, on: cluster, run: run, log: log)
                let duelLooksRight = scenario != .livelock || expectDuel(result.diagram, log: log, nodes: 5, rounds: 3, run: run)
                if !result.outcome.succeeded || !duelLooksRight { break }  // one failure's log is enough
            }
            print(String(format: "%@: %d runs on 5 nodes in %.1f s", scenario.rawValue, Self.runs, Date().timeIntervalSince(started)))
        }

        @Test("The seed's names play the same scenarios", arguments: [("a-wins", Scenario.alreadyChosen), ("B_wins", .seenNotChosen), ("BB_WINS", .unseenNotChosen)])
        func aliases(_ name: String, _ scenario: Scenario) {
            #expect(Scenario.named(name) == scenario)
        }
    }

    @Suite("The same ideas on a 3-node cluster", .liveCluster(nodes: 3), .timeLimit(.minutes(5)))
    struct ThreeNodes {
        static let runs = 3

        @Test("Each scenario gives the lecture's outcome on S1..S3", arguments: Scenario.allCases)
        func lectureOutcomeOnThreeNodes(_ scenario: Scenario) async throws {
            let cluster = try suiteCluster()
            let log = PrintedLines()
            for run in 1...Self.runs {
                let result = try await play(scenario, on: cluster, log: log)
                try await expectLectureOutcome(result, scenario, on: cluster, run: run, log: log)
                let duelLooksRight = scenario != .livelock || expectDuel(result.diagram, log: log, nodes: 3, rounds: 3, run: run)
                if !result.outcome.succeeded || !duelLooksRight { break }
            }
        }

        @Test("Seen, not chosen on 3 nodes: S2 is the overlap and answers S3's Prepare with (3.1, X)")
        func seenNotChosenThroughTheMiddleNode() async throws {
            let cluster = try suiteCluster()
            let log = PrintedLines()
            let result = try await play(.seenNotChosen, on: cluster, log: log)
            let drawn = try readSVG(result.diagram)
            #expect(drawn.participants == ["S1", "S2", "S3"])
            #expect(drawn.receivers("P 3.1", from: "S1") == ["S1", "S2"])
            #expect(drawn.arrows("promise 4.3 (3.1, X)").map(\.description) == ["S2→S3 promise 4.3 (3.1, X) [answer]"])
            #expect(drawn.receivers("A 4.3 X", from: "S3") == ["S2", "S3"])
            #expect(drawn.arrows("A 4.3 Y").isEmpty)
            #expect(drawn.notes.filter { $0.text == "chosen X" }.map(\.on).sorted() == ["S1", "S3"])
        }

        @Test("Unseen, not chosen on 3 nodes: S2 refuses A 3.1 X with nack 4.3 and Y is chosen")
        func unseenNotChosenRefusedByTheMiddleNode() async throws {
            let cluster = try suiteCluster()
            let log = PrintedLines()
            let result = try await play(.unseenNotChosen, on: cluster, log: log)
            let drawn = try readSVG(result.diagram)
            #expect(drawn.arrows("nack 4.3").map(\.description) == ["S2→S1 nack 4.3 [refusal]"])
            #expect(drawn.receivers("A 4.3 Y", from: "S3") == ["S2", "S3"])
            #expect(drawn.notes.map(\.text) == ["chosen Y"])
        }
    }
}

/// The livelock's first part as the lecture draws it: P3.1, P3.5, A3.1 rejected, P4.1, A3.5
/// rejected, P5.5, … — each proposer's Accept refused because the other prepared a higher ballot
/// in between, and nothing chosen; then (in the log) the part with backoff converges.
/// Returns whether the duel looked right, so that a loop can stop at the first bad run.
@discardableResult
func expectDuel(_ diagram: SequenceDiagram, log: PrintedLines, nodes n: Int, rounds: Int, run: Int,
                sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
    guard let drawn = try? readSVG(diagram) else {
        Issue.record("the duel's SVG is not well-formed XML", sourceLocation: sourceLocation)
        return false
    }
    var good = true
    func check(_ condition: Bool, _ comment: @autoclosure () -> Comment) {
        #expect(condition, comment(), sourceLocation: sourceLocation)
        good = good && condition
    }
    let context = "livelock on \(n) nodes, run \(run)"
    // In the duel every proposer sends each Prepare and Accept once to each node, and each
    // acceptor answers once: an arrow drawn twice is an event recorded twice.
    var seen = Set<String>()
    let twice = drawn.arrows.map { "\($0.from)→\($0.to) \($0.label)" }.filter { !seen.insert($0).inserted }
    check(twice.isEmpty, "\(context): messages drawn twice: \(twice)")
    // A's rounds 3, 4, 6, 8, …; B's 3, 5, 7, 9, …: each retry one above the ballot that refused it.
    var ballots = ["3.1", "3.\(n)"]
    for round in 1...rounds { ballots += ["\(2 * round + 2).1", "\(2 * round + 3).\(n)"] }
    let prepares = drawn.arrows.filter { $0.label.hasPrefix("P ") }
    var order: [String] = []
    for arrow in prepares where !order.contains(String(arrow.label.dropFirst(2))) { order.append(String(arrow.label.dropFirst(2))) }
    check(order == ballots, "\(context): Prepares in the order \(order)")
    for (index, ballot) in ballots.enumerated() {
        let proposer = ballot.hasSuffix(".1") ? "S1" : "S\(n)"
        let reached = drawn.receivers("P \(ballot)", from: proposer).count
        // The last two are still arriving when the duel stops: a majority has promised.
        if index < ballots.count - 2 {
            check(reached == n, "\(context): P \(ballot) reaches every node, drawn to \(reached)")
        } else {
            check(reached > n / 2, "\(context): P \(ballot) reaches a majority, drawn to \(reached)")
        }
    }
    // Every Accept but the last pair is refused by a higher Prepare of the rival.
    for (index, ballot) in ballots.dropLast(2).enumerated() {
        let value = ballot.hasSuffix(".1") ? "X" : "Y"
        let refusedBy = ballots[index + 1]
        let accepts = drawn.arrows("A \(ballot) \(value)")
        let nacks = drawn.arrows("nack \(refusedBy)").filter { $0.row > (accepts.map(\.row).min() ?? 0) }
        check(accepts.count == n, "\(context): A \(ballot) \(value) sent to every node, drawn \(accepts.count) times")
        check(!nacks.isEmpty, "\(context): A \(ballot) \(value) refused with nack \(refusedBy)")
        if let firstAccept = accepts.map(\.row).min(), let rivalPrepare = drawn.firstRow("P \(refusedBy)") {
            check(rivalPrepare < firstAccept, "\(context): P \(refusedBy) comes before A \(ballot)")
        }
    }
    check(drawn.notes.isEmpty, "\(context): nothing is chosen in the duel; notes drawn: \(drawn.notes.map(\.text))")
    let lines = log.all
    check(lines.contains { $0.hasPrefix("part 1 (no backoff): \(rounds + 1) Prepares from S1 and \(rounds + 1) from S\(n)") && $0.hasSuffix("nothing chosen: livelock") },
            "\(context): part 1's summary\n\(log.text)")
    check(lines.contains { $0.hasPrefix("part 2 (randomized backoff): ") && $0.contains(" chosen after ") },
            "\(context): part 2's summary\n\(log.text)")
    return good
}

func readSVG(_ diagram: SequenceDiagram, sourceLocation: SourceLocation = #_sourceLocation) throws -> DrawnDiagram {
    let (drawn, error) = DrawnDiagram.read(diagram.svg())
    return try #require(drawn, "the SVG is not well-formed XML: \(error ?? "")", sourceLocation: sourceLocation)
}
