import PaxosCore
import PaxosSimulator
import Testing

/// The lecture's scenarios as exact schedules over the real core, with the lecture's outcomes.
@Suite struct LectureScenarioTests {
    private func text(_ command: Command?) -> String? { command?.text }

    @Test func alreadyChosenValueIsAdoptedByTheLaterProposer() {
        let (cluster, s1, s5) = LectureScenarios.alreadyChosen()
        #expect(cluster.preparedBallots.map(\.description) == ["3.1", "4.5"])
        #expect(text(cluster.answer(to: s1)) == "X")
        #expect(text(cluster.answer(to: s5)) == "X", "S5 must adopt X from S3's promise")
        #expect(cluster.log.contains("S5: instance 1: ballot 4.5 adopts value X accepted in 3.1"))
        #expect(text(cluster.chosen(at: 1)) == "X")
        #expect(text(cluster.chosen(at: 5)) == "X")
    }

    @Test func previousValueSeenButNotChosenIsAdoptedAndChosen() {
        let (cluster, s1, s5) = LectureScenarios.seenNotChosen()
        #expect(cluster.preparedBallots.map(\.description) == ["3.1", "4.5"])
        #expect(text(cluster.answer(to: s5)) == "X")
        #expect(text(cluster.answer(to: s1)) == "X")
        #expect(cluster.log.contains("S5: instance 1: ballot 4.5 adopts value X accepted in 3.1"))
    }

    @Test func previousValueUnseenAndNotChosenLosesToTheNewValue() {
        let (cluster, s1, s5) = LectureScenarios.unseenNotChosen()
        #expect(text(cluster.answer(to: s5)) == "Y", "S5 saw no accepted value and keeps its own")
        #expect(cluster.log.contains("S3: instance 1: nack accept 3.1 from 1, promised 4.5"))
        #expect(cluster.preparedBallots.map(\.description) == ["3.1", "4.5", "5.1"])
        #expect(text(cluster.answer(to: s1)) == "Y", "S1 retries, sees Y and adopts it")
        #expect(text(cluster.chosen(at: 1)) == "Y")
    }

    @Test func duellingProposersWithoutBackoffLivelock() {
        let cluster = LectureScenarios.livelock(duels: 4)
        #expect(cluster.preparedBallots.map(\.description)
                == ["3.1", "3.5", "4.1", "5.5", "6.1", "7.5", "8.1", "9.5", "10.1", "11.5"])
        for node in 1...5 { #expect(cluster.chosen(at: node) == nil, "nothing is ever chosen") }
        #expect(cluster.replies.isEmpty)
    }

    /// The cure: the same duel in the simulator, with randomized backoff, ends with one value.
    @Test func randomizedBackoffEndsTheDuel() {
        for seed in UInt64(1)...20 {
            let outcome = DuelSimulation.run(seed: seed, backoff: .randomizedExponential(baseMilliseconds: 2, maxMilliseconds: 200),
                                             timeLimitMilliseconds: 5_000)
            #expect(outcome.chosen != nil, "seed \(seed): no value chosen in 5 s of simulated time")
            #expect(outcome.answers.allSatisfy { $0 == outcome.chosen }, "seed \(seed): both proposers are told the same value")
        }
    }
}
