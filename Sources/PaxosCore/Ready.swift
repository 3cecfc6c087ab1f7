/// What one step of the core asks the shell to do, in the order it must be done (etcd's `Ready`):
///
/// 1. make every record of `persist` durable (write and fsync the log);
/// 2. only then send `messages`, answer `replies`, append `applied` to the replicated file, and
///    set or cancel `timers`.
///
/// Grouping the effects this way makes "persist before send" a property of the type rather than
/// of every call site: nothing that depends on a state change can leave before the change is on disk.
public struct Ready: Hashable, Sendable {
    public var persist: [DurableRecord] = []
    public var messages: [Envelope] = []
    public var replies: [ClientReply] = []
    /// New lines of the replicated file, in instance order, continuing the previous ones.
    public var applied: [FileEntry] = []
    public var timers: [TimerRequest] = []
    /// The protocol steps taken, for logs, scenario printouts and sequence diagrams.
    public var trace: [TraceEvent] = []

    public init() {}

    public var isEmpty: Bool {
        persist.isEmpty && messages.isEmpty && replies.isEmpty && applied.isEmpty && timers.isEmpty && trace.isEmpty
    }
}

/// A timer the core owns. Setting a timer that is already set replaces it.
public enum TimerID: Hashable, Sendable {
    /// The proposer of an instance: phase timeout or the end of a backoff.
    case proposer(InstanceNumber)
    /// Anti-entropy and gap filling.
    case heartbeat
}

public enum TimerRequest: Hashable, Sendable {
    case set(TimerID, afterMilliseconds: UInt64)
    case cancel(TimerID)
}

/// The answer to a client's request.
public enum ClientReply: Hashable, Sendable {
    /// `submit`: the value was chosen and applied as `instance`.
    case submitted(RequestID, instance: InstanceNumber, value: String)
    /// `propose`: `chosen` is the value of `instance`; `ours` tells whether it was this request's.
    case proposed(RequestID, instance: InstanceNumber, chosen: Command, ours: Bool)
    case failed(RequestID, SubmitFailure)

    public var request: RequestID {
        switch self {
        case .submitted(let request, _, _), .proposed(let request, _, _, _), .failed(let request, _):
            return request
        }
    }
}

public enum SubmitFailure: Hashable, Sendable, CustomStringConvertible {
    /// The deadline passed before any Accept carried the value: it was not chosen and never will be.
    case noQuorum
    /// The deadline passed after an Accept carried the value: it may still be chosen later.
    case outcomeUnknown
    /// Too many submits are waiting already.
    case overloaded(limit: Int)

    public var description: String {
        switch self {
        case .noQuorum:
            return "no majority of nodes answered before the deadline; the value was not chosen"
        case .outcomeUnknown:
            return "the deadline passed while the value was being accepted; it may still be chosen"
        case .overloaded(let limit):
            return "the node has \(limit) submits waiting already; try again later"
        }
    }
}
