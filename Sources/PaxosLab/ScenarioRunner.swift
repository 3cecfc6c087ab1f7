import Foundation
import SequenceDiagram
import XMLRPC

/// Plays a scenario on a live cluster with the exact interleaving of the lecture. The
/// interleaving comes from each node's fault-injection filter — rules that drop or hold a
/// node's outgoing messages — driven step by step, waiting on observed state (an acceptor's
/// promise, a count of held messages) rather than on time. Proposers get a long phase timeout
/// while the script runs, so nothing moves unless the script lets it.
public final class ScenarioRunner: Sendable {
    public let cluster: LabCluster
    private let print: @Sendable (String) -> Void
    /// Rounds of the forced duel in the livelock scenario.
    public let livelockRounds: Int

    static let scriptedPhaseTimeoutMilliseconds = 120_000
    static let roundA = 3
    static let roundB = 4

    public init(cluster: LabCluster, livelockRounds: Int = 3, print: @escaping @Sendable (String) -> Void) {
        self.cluster = cluster
        self.livelockRounds = livelockRounds
        self.print = print
    }

    public struct Result: Sendable {
        public var outcome: ScenarioOutcome
        public var diagram: SequenceDiagram
    }

    /// Runs `scenario` with proposer A (node index `a`, value `valueA`) and proposer B.
    public func run(_ scenario: Scenario, a: Int, b: Int, valueA: String, valueB: String) async throws -> Result {
        let n = cluster.nodes.count
        guard n >= 3 else {
            throw LabError("the scenarios need at least 3 nodes (two quorums that overlap in one acceptor); this cluster has \(n)")
        }
        guard a != b, cluster.nodes.indices.contains(a), cluster.nodes.indices.contains(b) else {
            throw LabError("the two proposers must be two different nodes of the cluster")
        }
        let plan = QuorumPlan(nodeCount: n, a: a, b: b)
        let instance = try await cluster.nextFreeInstance()
        let recorder = EventRecorder(cluster: cluster, instance: instance, print: print)

        print("\(scenario.rawValue): \(scenario.summary)")
        print("instance \(instance); proposer A = \(name(a)) with \(valueA), proposer B = \(name(b)) with \(valueB); "
              + "A's quorum \(names(plan.quorumA)), B's quorum \(names(plan.quorumB))")

        try await prepareStage(instance: instance)
        try await recorder.skipPast()
        await recorder.start()

        var answers: [(node: Int, value: String, ours: Bool)] = []
        var problems: [String] = []
        var decidedInstance = instance
        var livelockDiagram: SequenceDiagram? = nil
        let expected: String
        do {
            switch scenario {
            case .single:
                expected = valueA
                answers.append(try await propose(a, instance, valueA, round: Self.roundA))
                // Every acceptor gets A's Accept (nothing is dropped), but the last ones may
                // land after the majority answered: an Accept waits behind the answer to the
                // call before it (the Prepare), which waits for that node's fsync. Anti-entropy
                // comes back only once they have, or a node with a slow disk would learn X from
                // a peer first and never accept it.
                try await cluster.waitUntil("every acceptor accepted \(valueA)") {
                    for node in cluster.nodes.indices {
                        guard try await cluster.acceptor(on: node, instance: instance).value == valueA else { return false }
                    }
                    return true
                }
            case .alreadyChosen:
                expected = valueA
                answers = try await alreadyChosen(plan, instance, valueA, valueB, recorder)
            case .seenNotChosen:
                expected = valueA
                answers = try await seenNotChosen(plan, instance, valueA, valueB, recorder)
            case .unseenNotChosen:
                expected = valueB
                answers = try await unseenNotChosen(plan, instance, valueA, valueB, recorder)
            case .livelock:
                let duel = try await livelock(plan, instance, valueA, valueB, recorder: recorder)
                expected = duel.value
                decidedInstance = duel.instance
                problems += duel.problems
                livelockDiagram = duel.diagram
            }
        } catch {
            try? await recorder.finish()
            try? await restoreStage()
            throw error
        }

        // Let the others learn: no more rules, normal timing; anti-entropy fills every file.
        try await restoreStage()
        let finalInstance = decidedInstance
        var chosen = ""
        do {
            try await cluster.waitUntil("every node knows the value chosen for instance \(finalInstance)") {
                var values = Set<String>()
                for node in cluster.nodes.indices {
                    guard let value = try await cluster.acceptor(on: node, instance: finalInstance).chosen else { return false }
                    values.insert(value)
                }
                if values.count > 1 { problems.append("nodes disagree on instance \(finalInstance): \(values.sorted())") }
                chosen = values.first ?? ""
                return true
            }
        } catch {
            problems.append("\(error)")
        }
        try await recorder.finish()

        if chosen != expected { problems.append("the lecture's outcome is \(expected), but \(chosen) was chosen") }
        for answer in answers where answer.value != expected {
            problems.append("\(name(answer.node))'s client was told \(answer.value), not \(expected)")
        }
        try await printFinalState(instance: finalInstance)
        try await checkFiles(instance: finalInstance, expected: expected, problems: &problems)

        let outcome = ScenarioOutcome(instance: finalInstance, chosen: chosen, expected: expected, answers: answers, problems: problems)
        for answer in answers {
            print("\(name(answer.node))'s client: chosen \(answer.value) (\(answer.ours ? "its own value" : "another proposer's value"))")
        }
        print(outcome.succeeded ? "outcome: \(chosen), as in the lecture" : "OUTCOME DIFFERS FROM THE LECTURE: " + problems.joined(separator: "; "))
        let title = "\(scenario.rawValue): \(valueA) from \(name(a)), \(valueB) from \(name(b)) — \(chosen) chosen"
        if let livelockDiagram { return Result(outcome: outcome, diagram: livelockDiagram) }
        return Result(outcome: outcome, diagram: await recorder.diagram(title: title))
    }

    // MARK: - The scenarios

    /// S1,S2,S3 ← P3.1 then A3.1 X (X chosen); S3,S4,S5 ← P4.5, S3 answers (3.1, X); S5 proposes X.
    private func alreadyChosen(_ plan: QuorumPlan, _ instance: Int, _ x: String, _ y: String,
                               _ recorder: EventRecorder) async throws -> [(node: Int, value: String, ours: Bool)] {
        let a = plan.a, b = plan.b
        try await confine(a, to: plan.quorumA)
        // Nobody outside A hears that X is chosen: B must discover it through an acceptor.
        try await cluster.fault(on: a, "drop", "learn")
        await recorder.narrate("\(name(a)) proposes \(x): \(names(plan.quorumA)) ← P, then A \(x)")
        let answerA = try await propose(a, instance, x, round: Self.roundA)
        try await confine(b, to: plan.quorumB)
        await recorder.narrate("\(name(b)) proposes \(y): \(names(plan.quorumB)) ← P")
        let answerB = try await propose(b, instance, y, round: try await roundAfter(a, instance: instance))
        return [answerA, answerB]
    }

    /// S1,S2,S3 ← P3.1; only S3 ← A3.1 X; S3,S4,S5 ← P4.5, S3 answers (3.1, X); S5 adopts X;
    /// S3,S4,S5 ← A4.5 X; later S1,S2 ← A3.1 X and accept it. Both proposers succeed, with X.
    private func seenNotChosen(_ plan: QuorumPlan, _ instance: Int, _ x: String, _ y: String,
                               _ recorder: EventRecorder) async throws -> [(node: Int, value: String, ours: Bool)] {
        let a = plan.a, b = plan.b
        try await confine(a, to: plan.quorumA)
        var heldAccepts: [Int] = []
        for node in plan.quorumA where !plan.overlap.contains(node) {
            heldAccepts.append(try await cluster.fault(on: a, "hold", "accept", to: node))
        }
        await recorder.narrate("\(name(a)) proposes \(x): \(names(plan.quorumA)) ← P; only \(names(plan.overlap)) ← A \(x)")
        let taskA = proposeInBackground(a, instance, x, round: Self.roundA)
        for node in plan.overlap {
            try await cluster.waitUntil("\(name(node)) accepted \(x)") {
                try await cluster.acceptor(on: node, instance: instance).value == x
            }
        }
        try await confine(b, to: plan.quorumB)
        // A's other acceptors must accept A's old Accept before they hear that X is chosen.
        var heldLearns: [Int] = []
        for node in plan.quorumA where !plan.overlap.contains(node) {
            heldLearns.append(try await cluster.fault(on: b, "hold", "learn", to: node))
        }
        await recorder.narrate("\(name(b)) proposes \(y): \(names(plan.quorumB)) ← P; \(names(plan.overlap)) answers with \(x)")
        let answerB = try await propose(b, instance, y, round: try await roundAfter(a, instance: instance))
        await recorder.narrate("later, \(names(plan.quorumA.filter { !plan.overlap.contains($0) })) ← A \(x) from \(name(a))")
        for rule in heldAccepts { try await cluster.release(on: a, rule: rule) }
        let answerA = try await taskA.value
        for rule in heldLearns { try await cluster.release(on: b, rule: rule) }
        return [answerA, answerB]
    }

    /// S1,S2,S3 ← P3.1; S1 ← A3.1 X; S3,S4,S5 ← P4.5 (no accepted value seen, S5 keeps Y);
    /// S2 ← A3.1 X accepted; S3 rejects A3.1 X; S3,S4,S5 ← A4.5 Y. Y wins; S1 learns Y.
    private func unseenNotChosen(_ plan: QuorumPlan, _ instance: Int, _ x: String, _ y: String,
                               _ recorder: EventRecorder) async throws -> [(node: Int, value: String, ours: Bool)] {
        let a = plan.a, b = plan.b
        try await confine(a, to: plan.quorumA)
        var heldAccepts: [Int] = []
        for node in plan.quorumA where node != a {
            heldAccepts.append(try await cluster.fault(on: a, "hold", "accept", to: node))
        }
        await recorder.narrate("\(name(a)) proposes \(x): \(names(plan.quorumA)) ← P; \(name(a)) ← A \(x)")
        let taskA = proposeInBackground(a, instance, x, round: Self.roundA)
        try await cluster.waitUntil("\(name(a)) accepted \(x)") { try await cluster.acceptor(on: a, instance: instance).value == x }
        try await cluster.waitUntil("\(name(a)) holds its other Accepts") {
            var held = 0
            for rule in heldAccepts { held += try await cluster.held(on: a, rule: rule) }
            return held == heldAccepts.count
        }
        // From here on A's retries wait: the lecture's S1 is blocked until it learns Y.
        let heldRetries = try await cluster.fault(on: a, "hold", "prepare")

        try await confine(b, to: plan.quorumB)
        let heldAcceptsB = try await cluster.fault(on: b, "hold", "accept")
        await recorder.narrate("\(name(b)) proposes \(y): \(names(plan.quorumB)) ← P; no accepted value among them, \(name(b)) keeps \(y)")
        let taskB = proposeInBackground(b, instance, y, round: try await roundAfter(a, instance: instance))
        try await cluster.waitUntil("\(name(b)) has promises from a majority and sends A \(y)") {
            try await cluster.held(on: b, rule: heldAcceptsB) == plan.quorumB.count
        }
        await recorder.narrate("\(names(plan.quorumA.filter { $0 != a })) ← A \(x) from \(name(a)): \(names(plan.overlap)) refuses it")
        for rule in heldAccepts { try await cluster.release(on: a, rule: rule) }
        try await cluster.waitUntil("\(name(a)) was refused and tries again") {
            try await cluster.held(on: a, rule: heldRetries) > 0
        }
        await recorder.narrate("\(names(plan.quorumB)) ← A \(y) from \(name(b))")
        try await cluster.release(on: b, rule: heldAcceptsB)
        let answerB = try await taskB.value
        let answerA = try await taskA.value
        try await cluster.call(a, "admin.faultClear")
        return [answerA, answerB]
    }

    /// S1 and S5 duel: P3.1, P3.5, A3.1 rejected, P4.1, A3.5 rejected, P5.5, ... for a bounded
    /// number of rounds with backoff off; then the same start with randomized backoff.
    private func livelock(_ plan: QuorumPlan, _ instance: Int, _ x: String, _ y: String,
                          recorder: EventRecorder) async throws -> (value: String, instance: Int, problems: [String], diagram: SequenceDiagram) {
        let a = plan.a, b = plan.b
        var problems: [String] = []
        for node in [a, b] {
            try await cluster.setTiming(on: node, backoff: "none", phaseTimeoutMilliseconds: Self.scriptedPhaseTimeoutMilliseconds)
        }
        let prepares = [a: try await cluster.fault(on: a, "hold", "prepare"), b: try await cluster.fault(on: b, "hold", "prepare")]
        let accepts = [a: try await cluster.fault(on: a, "hold", "accept"), b: try await cluster.fault(on: b, "hold", "accept")]
        let n = cluster.nodes.count

        print("— part 1: no backoff; \(name(a)) and \(name(b)) preempt each other")
        let started = Date()
        let taskA = proposeInBackground(a, instance, x, round: Self.roundA)
        let taskB = proposeInBackground(b, instance, y, round: Self.roundA)
        // Rules are removed when released; keep fresh ones so every next message waits too.
        var prepareRules = prepares
        var acceptRules = accepts
        func release(_ node: Int, _ kind: String) async throws {
            let rules = kind == "prepare" ? prepareRules : acceptRules
            try await cluster.waitUntil("\(name(node)) has sent its \(kind == "prepare" ? "Prepare" : "Accept")") {
                try await cluster.held(on: node, rule: rules[node]!) == n
            }
            let fresh = try await cluster.fault(on: node, "hold", kind)
            try await cluster.release(on: node, rule: rules[node]!)
            if kind == "prepare" { prepareRules[node] = fresh } else { acceptRules[node] = fresh }
        }
        // Both round-3 Prepares are sent before either goes through: a proposer whose client's
        // call arrived after the rival's Prepare had reached it would start a round higher
        // (4.5 instead of 3.5: a CI run of stop 31, run 19 of 20 on a loaded machine).
        try await cluster.waitUntil("\(name(b)) has sent its Prepare") { try await cluster.held(on: b, rule: prepareRules[b]!) == n }
        try await release(a, "prepare")
        try await cluster.waitUntil("\(name(a)) has promises") { try await cluster.held(on: a, rule: acceptRules[a]!) == n }
        try await release(b, "prepare")
        try await cluster.waitUntil("\(name(b)) has promises") { try await cluster.held(on: b, rule: acceptRules[b]!) == n }
        for _ in 1...livelockRounds {
            for proposer in [a, b] {
                try await release(proposer, "accept")          // refused: the rival promised higher
                try await release(proposer, "prepare")         // retried at once, one round higher
                try await cluster.waitUntil("\(name(proposer)) has promises again") {
                    try await cluster.held(on: proposer, rule: acceptRules[proposer]!) == n
                }
            }
        }
        try await recorder.poll()
        let duel = Date().timeIntervalSince(started)
        let roundsA = await recorder.steps("prepareSent", on: a).count
        let roundsB = await recorder.steps("prepareSent", on: b).count
        let chosenInDuel = await recorder.steps("chosen").count
        print(String(format: "part 1 (no backoff): %d Prepares from %@ and %d from %@ in %.0f ms, nothing chosen: livelock",
                     roundsA, name(a), roundsB, name(b), duel * 1000))
        if chosenInDuel > 0 { problems.append("a value was chosen during the forced duel") }

        // Part 2: the same start, with randomized exponential backoff. A reset ends the duel
        // (its clients are told so) and gives the second part the same instance and ballots.
        try await recorder.finish()
        let duelDiagram = await recorder.diagram(title: "livelock: \(name(a)) and \(name(b)) without backoff, \(livelockRounds) rounds, nothing chosen")
        try await cluster.reset()
        _ = try? await taskA.value
        _ = try? await taskB.value
        try await prepareStage(instance: instance)
        for node in [a, b] { try await cluster.setTiming(on: node, backoff: "randomized") }
        print("— part 2: randomized backoff, the same start after a reset")
        let recorder2 = EventRecorder(cluster: cluster, instance: instance, print: print)
        try await recorder2.skipPast()
        await recorder2.start()
        let start2 = Date()
        let taskA2 = proposeInBackground(a, instance, x, round: Self.roundA)
        let taskB2 = proposeInBackground(b, instance, y, round: Self.roundA)
        let answerA = try await taskA2.value
        let answerB = try await taskB2.value
        let elapsed = Date().timeIntervalSince(start2)
        try await recorder2.finish()
        let rounds2 = await recorder2.steps("prepareSent", on: a).count + recorder2.steps("prepareSent", on: b).count
        print(String(format: "part 2 (randomized backoff): %@ chosen after %d Prepares in %.1f ms",
                     answerA.value, rounds2, elapsed * 1000))
        if answerA.value != answerB.value { problems.append("the two proposers were told different values") }
        return (answerA.value, instance, problems, duelDiagram)
    }

    // MARK: - Building blocks

    /// Everything scripted: no anti-entropy (nobody learns outside the script), no rules left
    /// over, and a phase timeout long enough that only the script moves proposers.
    private func prepareStage(instance: Int) async throws {
        try await cluster.clearFaults()
        for node in cluster.nodes.indices {
            try await cluster.fault(on: node, "drop", "status")
            try await cluster.fault(on: node, "drop", "catchUpRequest")
            try await cluster.setTiming(on: node, backoff: "randomized", phaseTimeoutMilliseconds: Self.scriptedPhaseTimeoutMilliseconds)
        }
    }

    private func restoreStage() async throws {
        try await cluster.clearFaults()
        for node in cluster.nodes.indices { try await cluster.setTiming(on: node, backoff: "randomized") }
    }

    /// `node`'s Prepares and Accepts reach only `quorum`.
    private func confine(_ node: Int, to quorum: [Int]) async throws {
        for other in cluster.nodes.indices where !quorum.contains(other) {
            try await cluster.fault(on: node, "drop", "prepare", to: other)
            try await cluster.fault(on: node, "drop", "accept", to: other)
        }
    }

    /// A round above the ballot `node` uses in `instance`, and at least the lecture's round 4.
    private func roundAfter(_ node: Int, instance: Int) async throws -> Int {
        let promised = try await cluster.acceptor(on: node, instance: instance).promised
        let round = Int(promised.split(separator: ".").first ?? "") ?? 0
        return max(Self.roundB, round + 1)
    }

    private func propose(_ node: Int, _ instance: Int, _ value: String, round: Int) async throws -> (node: Int, value: String, ours: Bool) {
        let answer = try await cluster.call(node, "paxos.propose", [.int(instance), .string(value), .int(round)]).structValue
        return (node, answer?["value"]?.stringValue ?? "", answer?["ours"]?.boolValue ?? false)
    }

    private func proposeInBackground(_ node: Int, _ instance: Int, _ value: String, round: Int) -> Task<(node: Int, value: String, ours: Bool), any Error> {
        Task { try await self.propose(node, instance, value, round: round) }
    }

    private func printFinalState(instance: Int) async throws {
        print("acceptors after the run (instance \(instance)):")
        print("  NODE  PROMISED  ACCEPTED  VALUE     CHOSEN")
        for node in cluster.nodes.indices {
            let state = try await cluster.acceptor(on: node, instance: instance)
            let columns = [name(node), state.promised, state.accepted.isEmpty ? "–" : state.accepted,
                           state.value.isEmpty ? "–" : state.value, state.chosen ?? "–"]
            print("  " + zip(columns, [6, 10, 10, 10, 10]).map { $0.padding(toLength: max($1, $0.count + 1), withPad: " ", startingAt: 0) }.joined())
        }
    }

    private func checkFiles(instance: Int, expected: String, problems: inout [String]) async throws {
        print("files:")
        let line = "\(instance) \(expected)"
        var missing: [String] = []
        do {
            try await cluster.waitUntil("every file holds '\(line)'") {
                missing = []
                for node in cluster.nodes.indices where !(try await cluster.fileLines(on: node)).contains(line) {
                    missing.append(name(node))
                }
                return missing.isEmpty
            }
        } catch {
            problems.append("the files of \(missing.joined(separator: ", ")) lack '\(line)'")
        }
        for node in cluster.nodes.indices {
            let lines = try await cluster.fileLines(on: node)
            print("  \(name(node)): " + (lines.isEmpty ? "(empty)" : lines.suffix(4).joined(separator: " | ")))
        }
    }

    private func name(_ node: Int) -> String { cluster.nodes[node].name }
    private func names(_ nodes: [Int]) -> String { nodes.map(name).joined(separator: ",") }
}

/// The two overlapping majorities of the lecture, for any cluster size: A's quorum is A and
/// the nodes after it, B's quorum is B and the nodes before it; they share the middle node(s).
struct QuorumPlan: Sendable {
    let a: Int
    let b: Int
    let quorumA: [Int]
    let quorumB: [Int]
    let overlap: [Int]

    init(nodeCount n: Int, a: Int, b: Int) {
        let others = (0..<n).filter { $0 != a && $0 != b }
        let order = [a] + others + [b]
        let quorum = n / 2 + 1
        self.a = a
        self.b = b
        let quorumA = Array(order.prefix(quorum)).sorted()
        let quorumB = Array(order.suffix(quorum)).sorted()
        self.quorumA = quorumA
        self.quorumB = quorumB
        overlap = quorumA.filter { quorumB.contains($0) }
    }
}
