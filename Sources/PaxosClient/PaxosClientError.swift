import XMLRPC

/// Why a `PaxosClient` operation gave up, with what the caller needs to decide what next.
///
/// The kind says whether the value may be in the replicated file. A submit that ends in
/// `.outcomeUnknown` can be retried later with the same `requestID`: a node answers such a
/// retry with the first outcome instead of appending the value again.
public struct PaxosClientError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// A node refused the call in a way no retry fixes (invalid parameters -32602, not
        /// authenticated 8, …): the value was not chosen.
        case rejected
        /// The deadline passed (or the attempts ran out), and every attempt is known not to
        /// have chosen the value (refused connections, fault 1, fault 3).
        case notChosen
        /// The deadline passed (or the attempts ran out) after an attempt that may have chosen
        /// the value (no answer, fault 2, a node shutting down with the value in flight).
        case outcomeUnknown
        /// No node answered a read or status call in time.
        case unavailable
    }

    public var kind: Kind
    /// The last XML-RPC fault a node answered, if any: its code is the README's fault table.
    public var lastFault: XMLRPCFault?
    /// The last failure of any kind, as text (a fault, a refused connection, a timeout).
    public var lastError: String
    /// The node whose answer ended the operation (for `.rejected`) or that was tried last.
    public var lastNode: PaxosNodeAddress?
    public var attempts: Int
    /// The submit's request id, to retry it later without risking a second copy.
    public var requestID: String?

    /// True when no node answered at all (every attempt was a transport failure).
    public var noNodeAnswered: Bool

    public var description: String {
        let what: String
        switch kind {
        case .rejected: what = "refused"
        case .notChosen: what = "not chosen"
        case .outcomeUnknown: what = "outcome unknown (it may still be chosen; retry with request id \(requestID ?? "?"))"
        case .unavailable: what = "no node answered"
        }
        let node = lastNode.map { " by \($0)" } ?? ""
        return "\(what)\(node) after \(attempts) attempt\(attempts == 1 ? "" : "s"): \(lastError)"
    }
}
