import PaxosCore
import SequenceDiagram

/// A cluster whose every step is chosen by hand: the lecture's scenarios as exact schedules over
/// the real core. Messages wait in the network until the schedule delivers them, in the order
/// written; nothing happens by itself, not even a timer.
public struct ScheduledCluster {
    public private(set) var nodes: [PaxosNode]
    /// Messages sent and not yet delivered, oldest first.
    public private(set) var inFlight: [Envelope] = []
    public private(set) var replies: [ClientReply] = []
    /// The protocol steps taken, as "S3: instance 1: promise 4.5 to 5, accepted (3.1, X)".
    public private(set) var log: [String] = []
    /// The ballot of every Prepare sent so far, in order: "3.1", "3.5", "4.1", ...
    public private(set) var preparedBallots: [Ballot] = []
    private var nextRequest: RequestID = 1
    /// Timers armed by the nodes, with their delay: a schedule fires them by hand.
    public private(set) var armedTimers: [(node: Int, timer: TimerID, afterMilliseconds: UInt64)] = []
    /// What a sequence diagram draws: every delivered message and every decision, in order.
    private var drawn: [Drawn] = []

    private enum Drawn {
        case delivered(from: Int, to: Int, Message)
        case chosen(at: Int, Command)
    }

    public enum Kind: Sendable {
        case prepare, promise, accept, accepted, nack, learn

        func matches(_ message: Message) -> Bool {
            switch (self, message) {
            case (.prepare, .prepare), (.promise, .promise), (.accept, .accept),
                 (.accepted, .accepted), (.nack, .nack), (.learn, .learn):
                return true
            default:
                return false
            }
        }
    }

    /// Nodes S1...Sn, numbered from 1 as in the lecture. Their start-up catch-up requests are
    /// dropped: a brand-new cluster has nothing to catch up on.
    public init(nodes count: Int, backoff: PaxosConfiguration.Backoff = .none) {
        let members = (1...count).map { NodeID(UInt32($0)) }
        nodes = members.map { member in
            var configuration = PaxosConfiguration(node: member, members: members)
            configuration.backoff = backoff
            configuration.randomSeed = UInt64(member.rawValue)
            return PaxosNode(configuration: configuration)
        }
        for index in nodes.indices {
            _ = nodes[index].onStart()
        }
    }

    /// Server `node` (1-based) proposes `value` for `instance` with a ballot of at least `minimumRound`.
    /// Returns the request number its answer will carry.
    @discardableResult
    public mutating func propose(at node: Int, _ value: String, instance: InstanceNumber = 1, minimumRound: UInt64) -> RequestID {
        let request = nextRequest
        nextRequest += 1
        log.append("S\(node): propose \(value) with round >= \(minimumRound)")
        perform(nodes[node - 1].onPropose(request: request, instance: instance, value: value, minimumRound: minimumRound), node: node)
        return request
    }

    /// Delivers the oldest message of `kind` from `sender` to each of `receivers`, in that order.
    public mutating func deliver(_ kind: Kind, from sender: Int, to receivers: [Int]) {
        for receiver in receivers {
            guard let index = inFlight.firstIndex(where: {
                Int($0.from.rawValue) == sender && Int($0.to.rawValue) == receiver && kind.matches($0.message)
            }) else {
                preconditionFailure("no \(kind) from S\(sender) to S\(receiver) is in flight")
            }
            let envelope = inFlight.remove(at: index)
            log.append("S\(receiver) <- S\(sender) \(MessageDescription.text(of: envelope.message))")
            drawn.append(.delivered(from: sender, to: receiver, envelope.message))
            perform(nodes[receiver - 1].onMessage(from: envelope.from, envelope.message), node: receiver)
        }
    }

    /// The proposer's request goes to `acceptors` and each of their answers comes back: the
    /// lecture's arrows "P3.1 to S2, S3" with their replies.
    public mutating func roundTrip(_ kind: Kind, from proposer: Int, to acceptors: [Int]) {
        deliver(kind, from: proposer, to: acceptors)
        for acceptor in acceptors {
            let answer = inFlight.first {
                Int($0.from.rawValue) == acceptor && Int($0.to.rawValue) == proposer
            }
            guard let answer else { continue }
            let answerKind: Kind
            switch answer.message {
            case .promise: answerKind = .promise
            case .accepted: answerKind = .accepted
            case .nack: answerKind = .nack
            case .learn: answerKind = .learn
            default: continue
            }
            deliver(answerKind, from: acceptor, to: [proposer])
        }
    }

    /// Fires the proposer timer of `node` (a phase timeout, or the end of a backoff).
    public mutating func fireProposerTimer(at node: Int, instance: InstanceNumber = 1) {
        armedTimers.removeAll { $0.node == node && $0.timer == .proposer(instance) }
        log.append("S\(node): proposer timer fires")
        perform(nodes[node - 1].onTimer(.proposer(instance)), node: node)
    }

    public func chosen(at node: Int, instance: InstanceNumber = 1) -> Command? {
        nodes[node - 1].chosenCommand(instance)
    }

    /// What `request` was told: the chosen value, or nil if it has no answer yet.
    public func answer(to request: RequestID) -> Command? {
        for reply in replies {
            if case .proposed(request, _, let chosen, _) = reply { return chosen }
        }
        return nil
    }

    /// The schedule as the live scenarios draw theirs (same labels, same styles). Messages a
    /// node sends itself stay inside its step here, so they have no arrows.
    public func diagram(title: String) -> SequenceDiagram {
        var diagram = SequenceDiagram(title: title, participants: nodes.indices.map { "S\($0 + 1)" })
        for item in drawn {
            switch item {
            case .delivered(let from, let to, let message):
                let style: SequenceDiagram.ArrowStyle
                switch message {
                case .nack: style = .refusal
                case .promise, .accepted: style = .answer
                default: style = .request
                }
                diagram.message(from: from - 1, to: to - 1, label: message.label, style: style)
            case .chosen(let node, let command):
                diagram.note(on: node - 1, text: "chosen \(command)", style: .chosen)
            }
        }
        return diagram
    }

    private mutating func perform(_ ready: Ready, node: Int) {
        for event in ready.trace {
            log.append("S\(node): \(event)")
            if case .prepareSent(_, let ballot) = event { preparedBallots.append(ballot) }
            if case .chosen(_, _, let command) = event { drawn.append(.chosen(at: node, command)) }
        }
        inFlight.append(contentsOf: ready.messages)
        replies.append(contentsOf: ready.replies)
        for timer in ready.timers {
            switch timer {
            case .set(let id, let milliseconds):
                armedTimers.removeAll { $0.node == node && $0.timer == id }
                armedTimers.append((node, id, milliseconds))
            case .cancel(let id):
                armedTimers.removeAll { $0.node == node && $0.timer == id }
            }
        }
    }
}
