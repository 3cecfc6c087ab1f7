import XMLRPC

/// Faults of the Paxos methods (DESIGN.md section 5): small positive codes, documented in the
/// README. Paxos outcomes (another value chosen, a nack) are results, not faults.
public enum ApplicationFault: Int, CaseIterable, Sendable {
    /// No majority answered before the deadline, and no Accept ever carried the value: it was not chosen.
    case noQuorum = 1
    /// The deadline passed after an Accept carried the value: it may still be chosen.
    case outcomeUnknown = 2
    /// Too many submits are waiting on this node.
    case overloaded = 3
    /// The node is shutting down.
    case shuttingDown = 4
    /// An admin method was called on a node started without admin methods.
    case adminDisabled = 5
    /// The cluster was reset while the request waited.
    case resetDuringRequest = 6
    /// The request cannot be served in this configuration (e.g. a scenario that needs 5 nodes).
    case notSupported = 7
    /// The call lacks the credentials its method needs (a signature made with the cluster
    /// secret for peer and admin methods, a user and password where the node requires them),
    /// or carries ones that do not check out. Nothing was changed.
    case notAuthenticated = 8
    /// A propose for an instance below the node's snapshot point: it is decided, and its line
    /// is in the file (read it with paxos.read).
    case compacted = 9

    public func fault(_ message: String) -> XMLRPCFault {
        XMLRPCFault(code: rawValue, message: message)
    }

    public var summary: String {
        switch self {
        case .noQuorum: return "no majority before the deadline; the value was not chosen"
        case .outcomeUnknown: return "deadline passed during phase 2; the value may still be chosen"
        case .overloaded: return "too many submits waiting on this node"
        case .shuttingDown: return "the node is shutting down"
        case .adminDisabled: return "admin methods are disabled on this node"
        case .resetDuringRequest: return "the cluster was reset while the request waited"
        case .notSupported: return "not possible in this configuration"
        case .notAuthenticated: return "not authenticated: credentials missing or wrong; nothing was changed"
        case .compacted: return "the instance is below the snapshot point; read the file for it"
        }
    }
}
