import Foundation
import PaxosLab
import SequenceDiagram
import Testing

/// The diagrams of live runs, read back from their SVG: an arrow per message, labelled as the
/// lecture writes them, between the right lifelines, in the lecture's order.
extension LabAcceptanceTests.FiveNodes {
    @Test("The SVG draws exactly one message element per recorded message", arguments: Scenario.allCases)
    func oneElementPerMessage(_ scenario: Scenario) async throws {
        let cluster = try suiteCluster()
        let log = PrintedLines()
        let result = try await play(scenario, on: cluster, log: log)
        let svg = result.diagram.svg()
        let elements = svg.components(separatedBy: "class=\"message ").count - 1
        #expect(result.diagram.messageCount > 0)
        #expect(elements == result.diagram.messageCount)
        let drawn = try readSVG(result.diagram)
        #expect(drawn.arrows.count == result.diagram.messageCount, "every arrow has its label")
        #expect(drawn.participants == ["S1", "S2", "S3", "S4", "S5"])
        #expect(drawn.width == 840 && drawn.height > 0, "five lifelines 150 px apart with room for labels on both sides")
    }

    @Test("Seen, not chosen: S3 answers P 4.5 with (3.1, X), S5 proposes X, and S1,S2 accept A 3.1 X later")
    func seenNotChosenDiagram() async throws {
        let cluster = try suiteCluster()
        let log = PrintedLines()
        let result = try await play(.seenNotChosen, on: cluster, log: log)
        try #require(result.outcome.succeeded, "\(log.text)")
        let drawn = try readSVG(result.diagram)

        #expect(drawn.receivers("P 3.1", from: "S1") == ["S1", "S2", "S3"])
        #expect(drawn.receivers("A 3.1 X", from: "S1") == ["S1", "S2", "S3"])
        #expect(drawn.arrows("promise 4.5 (3.1, X)").map(\.description) == ["S3→S5 promise 4.5 (3.1, X) [answer]"])
        #expect(drawn.arrows("promise 4.5 (–)").map(\.from).sorted() == ["S4", "S5"])
        #expect(drawn.receivers("P 4.5", from: "S5") == ["S3", "S4", "S5"])
        #expect(drawn.receivers("A 4.5 X", from: "S5") == ["S3", "S4", "S5"])
        #expect(drawn.arrows("A 4.5 Y").isEmpty, "S5 adopted X")
        #expect(drawn.arrows.allSatisfy { $0.style != "refusal" }, "nobody refuses anything")
        // S1's Prepares and Accepts reach only S1,S2,S3; S5's only S3,S4,S5.
        #expect(drawn.arrows.filter { $0.from == "S1" && ["S4", "S5"].contains($0.to) }.allSatisfy { $0.label == "learn X" })

        // The lecture's order: only S3 accepts 3.1 before P 4.5; S1,S2 accept it after A 4.5 X.
        let atS3 = try #require(drawn.arrows("A 3.1 X").first { $0.to == "S3" })
        let prepareB = try #require(drawn.firstRow("P 4.5"))
        let acceptB = try #require(drawn.firstRow("A 4.5 X"))
        #expect(atS3.row < prepareB)
        for late in drawn.arrows("A 3.1 X") where late.to != "S3" {
            #expect(late.row > acceptB, "\(late) comes after S5's Accept")
        }
        let chosen = drawn.notes.filter { $0.text == "chosen X" && $0.style == "chosen" }
        #expect(chosen.map(\.on) == ["S5", "S1"], "S5 decides first, S1 once S1,S2 have accepted")
    }

    @Test("Unseen, not chosen: S3 refuses A 3.1 X with nack 4.5, Y is chosen and S1 learns Y")
    func unseenNotChosenDiagram() async throws {
        let cluster = try suiteCluster()
        let log = PrintedLines()
        let result = try await play(.unseenNotChosen, on: cluster, log: log)
        try #require(result.outcome.succeeded, "\(log.text)")
        let drawn = try readSVG(result.diagram)

        #expect(drawn.arrows("nack 4.5").map(\.description) == ["S3→S1 nack 4.5 [refusal]"])
        #expect(drawn.receivers("A 3.1 X", from: "S1") == ["S1", "S2", "S3"])
        #expect(drawn.arrows("promise 4.5 (–)").map(\.from).sorted() == ["S3", "S4", "S5"], "no accepted value in S5's quorum")
        #expect(drawn.arrows.filter { $0.label.hasPrefix("promise 4.5 (3.1") }.isEmpty)
        #expect(drawn.receivers("A 4.5 Y", from: "S5") == ["S3", "S4", "S5"])
        #expect(drawn.arrows("learn Y").contains { $0.from == "S5" && $0.to == "S1" }, "S1 learns Y")
        #expect(drawn.notes.map(\.text) == ["chosen Y"])
        #expect(drawn.notes.map(\.on) == ["S5"])
        // S1 accepted its own value before S5's Prepare; S3 refuses A 3.1 X after it.
        let selfAccept = try #require(drawn.arrows("A 3.1 X").first { $0.to == "S1" })
        let nack = try #require(drawn.firstRow("nack 4.5"))
        let prepareB = try #require(drawn.firstRow("P 4.5"))
        #expect(selfAccept.row < prepareB && prepareB < nack)
    }

    @Test("Already chosen: X is chosen at S1 before S5's Prepare, which finds (3.1, X) at S3")
    func alreadyChosenDiagram() async throws {
        let cluster = try suiteCluster()
        let log = PrintedLines()
        let result = try await play(.alreadyChosen, on: cluster, log: log)
        try #require(result.outcome.succeeded, "\(log.text)")
        let drawn = try readSVG(result.diagram)

        #expect(drawn.receivers("A 3.1 X", from: "S1") == ["S1", "S2", "S3"])
        let chosenAtS1 = try #require(drawn.notes.first { $0.on == "S1" && $0.text == "chosen X" })
        let prepareB = try #require(drawn.firstRow("P 4.5"))
        #expect(chosenAtS1.row < prepareB)
        #expect(drawn.arrows("promise 4.5 (3.1, X)").map(\.description) == ["S3→S5 promise 4.5 (3.1, X) [answer]"])
        #expect(drawn.receivers("A 4.5 X", from: "S5") == ["S3", "S4", "S5"])
        #expect(drawn.arrows.allSatisfy { $0.style != "refusal" })
        // S1's "learn" is dropped: S5 must discover X through S3, not be told.
        #expect(drawn.arrows.filter { $0.from == "S1" && $0.label.hasPrefix("learn") }.isEmpty)
    }

    @Test("Single proposer: P 3.1 and A 3.1 X reach all five, a majority promises and accepts, X is chosen")
    func singleProposerDiagram() async throws {
        let cluster = try suiteCluster()
        let log = PrintedLines()
        let result = try await play(.single, on: cluster, log: log)
        try #require(result.outcome.succeeded, "\(log.text)")
        let drawn = try readSVG(result.diagram)
        let everyone = ["S1", "S2", "S3", "S4", "S5"]
        #expect(drawn.receivers("P 3.1", from: "S1") == everyone)
        #expect(drawn.receivers("A 3.1 X", from: "S1") == everyone)
        // S1 goes on with a majority of answers; a late acceptor may even hear "learn X" before
        // A 3.1 X (messages between two nodes may overtake each other) and then not answer it.
        let promises = drawn.arrows("promise 3.1 (–)"), acceptances = drawn.arrows("accepted 3.1")
        #expect(promises.count >= 3 && promises.allSatisfy { $0.to == "S1" && $0.style == "answer" })
        #expect(acceptances.count >= 3 && acceptances.allSatisfy { $0.to == "S1" && $0.style == "answer" })
        #expect(drawn.arrows("P 3.1").allSatisfy { $0.style == "request" })
        #expect(drawn.notes.map(\.text) == ["chosen X"])
        #expect(drawn.title.hasPrefix("single: X from S1"))
    }

    @Test("paxos scenario --diagram writes the SVG, and the Mermaid chart for a .md file")
    func scenarioCommandWritesDiagrams() async throws {
        let cluster = try suiteCluster()
        let directory = try makeTemporaryDirectory("paxos-lab-diagrams")
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let svgPath = directory + "/seen-not-chosen.svg"
        let svgRun = try await runPaxos(["scenario", "b-wins", "--base-port", String(cluster.basePort), "--data-dir", cluster.root, "--diagram", svgPath], timeoutSeconds: 60)
        #expect(svgRun.status == 0 && !svgRun.timedOut, "\(svgRun.output)\n\(svgRun.errors)")
        #expect(svgRun.output.contains("using the cluster of 5 nodes answering at 127.0.0.1:\(cluster.basePort)"))
        #expect(svgRun.output.contains("outcome: X, as in the lecture"))
        let svg = try String(contentsOfFile: svgPath, encoding: .utf8)
        let (drawn, error) = DrawnDiagram.read(svg)
        let diagram = try #require(drawn, "\(error ?? "")")
        #expect(diagram.arrows("promise 4.5 (3.1, X)").map(\.description) == ["S3→S5 promise 4.5 (3.1, X) [answer]"])
        #expect(svgRun.output.contains("diagram: \(svgPath) (\(diagram.arrows.count) messages)"))

        let mdPath = directory + "/unseen-not-chosen.md"
        let mdRun = try await runPaxos(["scenario", "unseen-not-chosen", "--base-port", String(cluster.basePort), "--data-dir", cluster.root, "--diagram", mdPath], timeoutSeconds: 60)
        #expect(mdRun.status == 0 && !mdRun.timedOut, "\(mdRun.output)\n\(mdRun.errors)")
        let markdown = try String(contentsOfFile: mdPath, encoding: .utf8)
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.prefix(3) == ["```mermaid", "sequenceDiagram", "    title unseen-not-chosen: X from S1, Y from S5 — Y chosen"])
        #expect(lines.contains("    participant S5"))
        #expect(lines.filter { $0 == "    S3-xS1: nack 4.5" }.count == 1)
        #expect(lines.filter { $0.hasPrefix("    S5->>") && $0.hasSuffix(": A 4.5 Y") }.count == 3)
        #expect(lines.contains("    Note over S5: chosen Y"))
        #expect(markdown.hasSuffix("```\n"))
    }

    @Test("paxos scenario rejects an unknown name and a bad --diagram before touching a cluster")
    func scenarioCommandValidates() async throws {
        let unknown = try await runPaxos(["scenario", "c-wins", "--base-port", "1"], timeoutSeconds: 30)
        #expect(unknown.status != 0)
        #expect(unknown.errors.contains("unknown scenario 'c-wins'") && unknown.errors.contains("seen-not-chosen"), "\(unknown.errors)")
        let badDiagram = try await runPaxos(["scenario", "single", "--base-port", "1", "--diagram", "x.png"], timeoutSeconds: 30)
        #expect(badDiagram.status != 0)
        #expect(badDiagram.errors.contains(".svg or a .md"), "\(badDiagram.errors)")
    }
}

/// The renderer alone, on diagrams built by hand.
@Suite("SequenceDiagram renders SVG and Mermaid")
struct SequenceDiagramTests {
    func lecture() -> SequenceDiagram {
        var diagram = SequenceDiagram(title: "S1 & S5 <race>", participants: ["S1", "S2", "S3"])
        diagram.message(from: 0, to: 0, label: "P 3.1", style: .request)
        diagram.message(from: 0, to: 1, label: "P 3.1", style: .request)
        diagram.message(from: 1, to: 0, label: "promise 3.1 (–)", style: .answer)
        diagram.message(from: 2, to: 0, label: "nack 4.3", style: .refusal)
        diagram.message(from: 0, to: 2, label: "a<b & c>d \"q\"", style: .request)
        diagram.note(on: 2, text: "chosen <X>", style: .chosen)
        diagram.note(on: 1, text: "info", style: .info)
        return diagram
    }

    @Test("Text with <, & and quotes is escaped, and reads back unchanged")
    func escaping() throws {
        let svg = lecture().svg()
        #expect(svg.contains("<title>S1 &amp; S5 &lt;race&gt;</title>"))
        #expect(svg.contains(">a&lt;b &amp; c&gt;d &quot;q&quot;</text>"))
        #expect(!svg.contains("a<b"))
        let drawn = try readSVG(lecture())
        #expect(drawn.title == "S1 & S5 <race>")
        #expect(drawn.arrows.last?.label == "a<b & c>d \"q\"")
        #expect(drawn.notes.first?.text == "chosen <X>")
    }

    @Test("Arrows go between the right lifelines, with their style; a message to oneself is a loop on its lifeline")
    func arrowsAndSelfArrows() throws {
        let diagram = lecture()
        let svg = diagram.svg()
        #expect(svg.components(separatedBy: "class=\"message ").count - 1 == diagram.messageCount)
        #expect(diagram.messageCount == 5)
        #expect(svg.components(separatedBy: "<path class=\"message request self\"").count - 1 == 1)
        #expect(svg.contains("<line class=\"message refusal\""))
        #expect(svg.contains("marker-end=\"url(#arrow-refusal)\""))
        let drawn = try readSVG(diagram)
        #expect(drawn.participants == ["S1", "S2", "S3"])
        #expect(drawn.arrows.map(\.description) == [
            "S1→S1 P 3.1 [request]", "S1→S2 P 3.1 [request]", "S2→S1 promise 3.1 (–) [answer]",
            "S3→S1 nack 4.3 [refusal]", "S1→S3 a<b & c>d \"q\" [request]",
        ])
        #expect(drawn.notes.map { "\($0.on) \($0.text) \($0.style)" } == ["S3 chosen <X> chosen", "S2 info info"])
        // Rows go down the page in the order of the events.
        #expect(drawn.arrows.map(\.row) == [1, 2, 3, 4, 5])
    }

    @Test("The picture grows with the participants and the events")
    func size() throws {
        var small = SequenceDiagram(title: "t", participants: ["A", "B"])
        small.message(from: 0, to: 1, label: "m", style: .request)
        var large = SequenceDiagram(title: "t", participants: ["A", "B", "C", "D", "E"])
        for _ in 0..<10 { large.message(from: 4, to: 0, label: "m", style: .answer) }
        let smallDrawn = try readSVG(small), largeDrawn = try readSVG(large)
        #expect(largeDrawn.width > smallDrawn.width)
        #expect(largeDrawn.height > smallDrawn.height)
        #expect(largeDrawn.arrows.count == 10 && largeDrawn.arrows.allSatisfy { $0.from == "E" && $0.to == "A" })
    }

    @Test("Mermaid: one line per participant, arrow and note; ->> requests, -->> answers, -x refusals")
    func mermaid() {
        let lines = lecture().mermaid().split(separator: "\n").map(String.init)
        #expect(lines == [
            "sequenceDiagram",
            "    title S1 & S5 <race>",
            "    participant S1",
            "    participant S2",
            "    participant S3",
            "    S1->>S1: P 3.1",
            "    S1->>S2: P 3.1",
            "    S2-->>S1: promise 3.1 (–)",
            "    S3-xS1: nack 4.3",
            "    S1->>S3: a<b & c>d \"q\"",
            "    Note over S3: chosen <X>",
            "    Note over S2: info",
        ])
    }

    @Test("Mermaid: a line break, ; and # in a label cannot end or break the message")
    func mermaidSpecialCharacters() {
        var diagram = SequenceDiagram(title: "a;b", participants: ["S1", "S2"])
        diagram.message(from: 0, to: 1, label: "two\nlines; #1", style: .request)
        let lines = diagram.mermaid().split(separator: "\n").map(String.init)
        #expect(lines == ["sequenceDiagram", "    title a,b", "    participant S1", "    participant S2", "    S1->>S2: two lines, #35;1"])
    }

    @Test("A diagram holds at most eventsMax events, so a long run cannot grow the file without bound")
    func eventLimit() {
        var diagram = SequenceDiagram(title: "long", participants: ["S1", "S2"])
        for _ in 0..<(SequenceDiagram.eventsMax + 10) { diagram.message(from: 0, to: 1, label: "P", style: .request) }
        diagram.note(on: 0, text: "late", style: .chosen)
        #expect(diagram.events.count == SequenceDiagram.eventsMax)
        #expect(diagram.messageCount == SequenceDiagram.eventsMax)
    }
}
