/// How the lecture's diagrams label a message: "P 3.1", "A 3.1 X", "promise 4.5 (3.1, X)",
/// "promise 3.1 (–)", "nack 4.5". The live scenarios and the simulator draw with the same words.
extension Message {
    public var label: String {
        switch self {
        case .prepare(_, let ballot):
            return "P \(ballot)"
        case .promise(_, let ballot, let accepted):
            return "promise \(ballot) " + (accepted.map { "(\($0.ballot), \($0.command))" } ?? "(–)")
        case .accept(_, let ballot, let command, let chosen):
            return "A \(ballot) \(command)" + (chosen.isEmpty ? "" : " (chosen \(chosen.map(String.init).joined(separator: ", ")))")
        case .accepted(_, let ballot):
            return "accepted \(ballot)"
        case .nack(_, _, let promised):
            return "nack \(promised)"
        case .learn(_, let command):
            return "learn \(command)"
        case .prepareFrom(let from, let ballot):
            return "P \(ballot) for \(from)..."
        case .promiseFrom(let from, let ballot, let accepted, let chosen):
            return "promise \(ballot) for \(from)... (\(accepted.count) accepted, \(chosen.count) chosen)"
        case .nackFrom(_, _, let promised):
            return "nack \(promised)"
        case .forward(let command):
            return "forward \(command)"
        case .status(let applied, let accepted):
            return accepted > applied ? "status \(applied), accepted \(accepted)" : "status \(applied)"
        case .catchUpRequest(let from):
            return "catch-up from \(from)"
        case .catchUpReply(let entries):
            return "catch-up \(entries.count) entries"
        case .readIndexRequest:
            return "read index?"
        case .readIndexReply(_, let highest):
            return "read index \(highest)"
        case .rejoinPrepare(let ballot):
            return "rejoin P \(ballot)"
        case .rejoinPromise(let ballot, let highest):
            return "rejoin promise \(ballot) (log to \(highest))"
        case .rejoinNack(_, let round):
            return "rejoin nack \(round)"
        case .snapshotOffer(let through):
            return "snapshot through \(through)"
        case .rejoinSynced:
            return "rejoin synced"
        }
    }

    /// The message kind as the wire and the fault filter name it.
    public var kind: String {
        switch self {
        case .prepare: return "prepare"
        case .promise: return "promise"
        case .accept: return "accept"
        case .accepted: return "accepted"
        case .nack: return "nack"
        case .learn: return "learn"
        case .prepareFrom: return "prepareFrom"
        case .promiseFrom: return "promiseFrom"
        case .nackFrom: return "nackFrom"
        case .forward: return "forward"
        case .status: return "status"
        case .catchUpRequest: return "catchUpRequest"
        case .catchUpReply: return "catchUpReply"
        case .readIndexRequest: return "readIndexRequest"
        case .readIndexReply: return "readIndexReply"
        case .rejoinPrepare: return "rejoinPrepare"
        case .rejoinPromise: return "rejoinPromise"
        case .rejoinNack: return "rejoinNack"
        case .snapshotOffer: return "snapshotOffer"
        case .rejoinSynced: return "rejoinSynced"
        }
    }

    /// Whether the message belongs to the protocol's seven steps (not anti-entropy).
    public var isProtocolStep: Bool {
        switch self {
        case .status, .catchUpRequest, .catchUpReply, .readIndexRequest, .readIndexReply, .snapshotOffer, .rejoinSynced: return false
        default: return true
        }
    }
}
