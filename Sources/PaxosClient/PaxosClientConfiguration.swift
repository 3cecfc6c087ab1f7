/// How a `PaxosClient` waits, retries and signs in.
public struct PaxosClientConfiguration: Sendable {
    /// Longest wait for one node's answer to one call. A node's own request deadline is 5 s
    /// by default and it answers fault 1 or 2 when that passes; waiting a little longer lets
    /// that answer arrive, while a node that was paused or cut off is left after this time.
    public var attemptTimeout: Duration = .seconds(6)
    /// The whole operation's deadline when the caller gives none: every retry fits in it.
    public var operationTimeout: Duration = .seconds(30)
    /// The first pause between attempts; it doubles after each failed attempt up to
    /// `backoffMax`, and each pause is drawn at random from its upper half so that clients
    /// that failed together do not retry together.
    public var backoffInitial: Duration = .milliseconds(50)
    public var backoffMax: Duration = .seconds(1)
    /// Give up after this many attempts even before the deadline (nil: only the deadline ends
    /// the retries). A deadline cuts the attempt in flight, which leaves the outcome unknown;
    /// a limit ends after an answer, so a submit every node refused ends `.notChosen`.
    public var attemptsMax: Int?
    /// Time to open a TCP connection; a node that is down refuses at once, a host that is
    /// unreachable is given up after this.
    public var connectTimeout: Duration = .seconds(2)
    /// Try the nodes in the order given, the first one first (a user named a node). Otherwise
    /// a client starts at a random node, so that many clients spread over the cluster; either
    /// way it then stays with the last node that answered.
    public var startWithFirstNode = false
    /// HTTP Basic credentials for nodes started with `--client-password-file`.
    public var credentials: (user: String, password: String)?

    public init() {}
}
