import PaxosCore

/// Short, stable spellings of messages for traces: the lecture's "P3.1" and "A3.1 X".
enum MessageDescription {
    static func text(of message: Message) -> String {
        switch message {
        case .prepare(let instance, let ballot):
            return "prepare[\(instance)] P\(ballot)"
        case .promise(let instance, let ballot, let accepted):
            return "promise[\(instance)] \(ballot) accepted \(accepted.map(\.description) ?? "none")"
        case .accept(let instance, let ballot, let command, let chosen):
            return "accept[\(instance)] A\(ballot) \(command)" + (chosen.isEmpty ? "" : " chosen \(chosen.map(String.init).joined(separator: ","))")
        case .accepted(let instance, let ballot):
            return "accepted[\(instance)] \(ballot)"
        case .nack(let instance, let ballot, let promised):
            return "nack[\(instance)] \(ballot) promised \(promised)"
        case .learn(let instance, let command):
            return "learn[\(instance)] \(command)"
        case .prepareFrom(let from, let ballot):
            return "prepare[\(from)...] P\(ballot)"
        case .promiseFrom(let from, let ballot, let accepted, let chosen):
            return "promise[\(from)...] \(ballot) accepted \(accepted.map { "\($0.instance)=\($0.proposal)" }.joined(separator: " "))"
                + " chosen \(chosen.map { "\($0.instance)=\($0.command)" }.joined(separator: " "))"
        case .nackFrom(let from, let ballot, let promised):
            return "nack[\(from)...] \(ballot) promised \(promised)"
        case .forward(let command):
            return "forward \(command)"
        case .status(let applied, let accepted):
            return "status applied \(applied), accepted \(accepted)"
        case .catchUpRequest(let from):
            return "catch-up from \(from)"
        case .catchUpReply(let entries):
            return "catch-up reply \(entries.map { "\($0.instance)=\($0.command)" }.joined(separator: " "))"
        case .readIndexRequest(let read):
            return "read index? (read \(read))"
        case .readIndexReply(let read, let highest):
            return "read index \(highest) (read \(read))"
        case .rejoinPrepare(let ballot):
            return "rejoin? P\(ballot)"
        case .rejoinPromise(let ballot, let highest):
            return "rejoin promise \(ballot) highest \(highest)"
        case .rejoinNack(let ballot, let round):
            return "rejoin nack \(ballot) round \(round)"
        case .snapshotOffer(let through):
            return "snapshot offer through \(through)"
        case .rejoinSynced:
            return "rejoin synced (its decisions below the fence are durable)"
        }
    }
}
