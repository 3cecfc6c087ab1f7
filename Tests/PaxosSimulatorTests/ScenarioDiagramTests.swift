import PaxosCore
import PaxosSimulator
import SequenceDiagram
import Testing

/// The simulated schedules draw the lecture's arrows with the live cluster's labels.
@Suite struct ScenarioDiagramTests {
    private func arrows(_ diagram: SequenceDiagram) -> [String] {
        diagram.events.compactMap { event in
            guard case .message(let from, let to, let label, _) = event else { return nil }
            return "S\(from + 1)->S\(to + 1) \(label)"
        }
    }

    @Test func seenNotChosenDrawsS3TellingS5AboutX() {
        let diagram = LectureScenarios.seenNotChosen().cluster.diagram(title: "seen-not-chosen")
        let drawn = arrows(diagram)
        #expect(drawn.contains("S1->S3 P 3.1"))
        #expect(drawn.contains("S1->S3 A 3.1 X"))
        #expect(drawn.contains("S3->S5 promise 4.5 (3.1, X)"))
        #expect(drawn.contains("S5->S4 A 4.5 X"))
        #expect(drawn.contains("S1->S2 A 3.1 X"))
        #expect(diagram.messageCount == drawn.count)
        #expect(diagram.svg().components(separatedBy: "class=\"message ").count - 1 == drawn.count)
        #expect(diagram.events.contains { if case .note(_, "chosen X", .chosen) = $0 { true } else { false } })
    }

    @Test func unseenNotChosenDrawsS3RefusingS1() {
        let drawn = arrows(LectureScenarios.unseenNotChosen().cluster.diagram(title: "unseen-not-chosen"))
        #expect(drawn.contains("S3->S1 nack 4.5"))
        #expect(drawn.contains("S3->S5 promise 4.5 (–)"))
        #expect(drawn.contains("S5->S3 A 4.5 Y"))
    }
}
