import PaxosCore

/// The livelock's cure, timed: S1 and S5 of five servers propose X and Y for instance 1 at the same
/// moment, over a network with one fixed latency, and retry as their backoff says. Without
/// randomization the duel can go on forever; with it, one proposer drifts ahead and wins.
public enum DuelSimulation {
    public struct Outcome: Sendable {
        /// The value chosen, if any, within the time limit.
        public var chosen: Command?
        /// What each proposer's request was told (nil: no answer yet).
        public var answers: [Command?]
        public var ballotsPrepared: Int
        public var simulatedMicroseconds: UInt64
    }

    private enum Event {
        case deliver(Envelope)
        case timer(node: Int, TimerID, generation: UInt64)
    }

    public static func run(seed: UInt64, backoff: PaxosConfiguration.Backoff, timeLimitMilliseconds: UInt64,
                           latencyMicroseconds: UInt64 = 1_000) -> Outcome {
        let members = (1...5).map { NodeID(UInt32($0)) }
        var random = SplitMix64(seed: seed)
        var nodes = members.map { member -> PaxosNode in
            var configuration = PaxosConfiguration(node: member, members: members)
            configuration.backoff = backoff
            configuration.randomSeed = random.next()
            return PaxosNode(configuration: configuration)
        }
        var queue = EventQueue<Event>()
        var now: SimulatedTime = 0
        var generations: [[TimerID: UInt64]] = Array(repeating: [:], count: 5)
        var generation: UInt64 = 0
        var answers: [RequestID: Command] = [:]
        var ballots = 0

        func perform(_ ready: Ready, node: Int) {
            for event in ready.trace { if case .prepareSent = event { ballots += 1 } }
            for envelope in ready.messages { queue.schedule(.deliver(envelope), at: now + latencyMicroseconds) }
            for reply in ready.replies {
                if case .proposed(let request, _, let chosen, _) = reply { answers[request] = chosen }
            }
            for timer in ready.timers {
                switch timer {
                case .set(let id, let milliseconds):
                    generation += 1
                    generations[node][id] = generation
                    queue.schedule(.timer(node: node, id, generation: generation), at: now + .milliseconds(milliseconds))
                case .cancel(let id):
                    generations[node][id] = nil
                }
            }
        }

        for index in nodes.indices { _ = nodes[index].onStart() }
        perform(nodes[0].onPropose(request: 1, instance: 1, value: "X"), node: 0)
        perform(nodes[4].onPropose(request: 2, instance: 1, value: "Y"), node: 4)
        let limit = SimulatedTime.milliseconds(timeLimitMilliseconds)
        while answers.count < 2, let time = queue.firstTime, time <= limit {
            now = time
            switch queue.removeFirst() {
            case .deliver(let envelope):
                let index = Int(envelope.to.rawValue) - 1
                perform(nodes[index].onMessage(from: envelope.from, envelope.message), node: index)
            case .timer(let index, let id, let timerGeneration):
                guard generations[index][id] == timerGeneration else { continue }
                generations[index][id] = nil
                perform(nodes[index].onTimer(id), node: index)
            }
        }
        let chosen = nodes.lazy.compactMap { $0.chosenCommand(1) }.first
        return Outcome(chosen: chosen, answers: [answers[1], answers[2]], ballotsPrepared: ballots, simulatedMicroseconds: now)
    }
}
