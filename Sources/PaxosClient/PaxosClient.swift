import Foundation
import NIOConcurrencyHelpers
import XMLRPC

/// A client of a Paxos cluster that fails over: every call goes to one node, and when that
/// node does not answer, or answers with a fault that means "try elsewhere", the call is made
/// again at the next node, after a growing randomized pause, until the operation's deadline.
///
/// Submits carry a request id (a fresh UUID unless the caller gives one), and every retry
/// carries the same id, so a value whose first attempt was chosen after all is answered with
/// that first outcome rather than appended twice.
///
/// ```swift
/// let client = try PaxosClient(addresses: ["127.0.0.1:8000", "127.0.0.1:8001", "127.0.0.1:8002"])
/// let submitted = try await client.submit("hello")        // instance, value, node, request id
/// let lines = try await client.read(consistency: .linearizable)
/// await client.shutdown()
/// ```
public final class PaxosClient: Sendable {
    public let nodes: [PaxosNodeAddress]
    public let configuration: PaxosClientConfiguration
    private let connections: [XMLRPCClient]
    /// The node to try first: the last one that answered, so a client stays with a live node.
    private let preferred: NIOLockedValueBox<Int>

    public init(nodes: [PaxosNodeAddress], configuration: PaxosClientConfiguration = .init()) {
        precondition(!nodes.isEmpty, "a PaxosClient needs at least one node")
        self.nodes = nodes
        self.configuration = configuration
        var xmlrpc = XMLRPCClientConfiguration(connectTimeout: configuration.connectTimeout)
        if let credentials = configuration.credentials {
            let header = XMLRPCClientConfiguration.basicAuthorization(user: credentials.user, password: credentials.password)
            xmlrpc.requestHeaders = { _ in [header] }
        }
        connections = nodes.map { XMLRPCClient(host: $0.host, port: $0.port, configuration: xmlrpc) }
        preferred = NIOLockedValueBox(configuration.startWithFirstNode ? 0 : Int.random(in: 0..<nodes.count))
    }

    /// A client of the nodes at `addresses`, each `HOST:PORT`.
    public convenience init(addresses: [String], configuration: PaxosClientConfiguration = .init()) throws {
        guard !addresses.isEmpty else { throw PaxosAddressError(text: "") }
        self.init(nodes: try addresses.map { try PaxosNodeAddress(parsing: $0) }, configuration: configuration)
    }

    /// Closes every connection.
    public func shutdown() async {
        for connection in connections { await connection.shutdown() }
    }

    // MARK: Operations

    /// Appends `value` to the replicated file; returns once a majority has durably chosen it.
    ///
    /// - Parameters:
    ///   - requestID: 1-64 printable ASCII bytes identifying this submit across retries (and
    ///     across calls: give the id of a submit that ended in `.outcomeUnknown` to learn its
    ///     outcome without a second copy). A fresh UUID when nil.
    ///   - deadline: when to give up; `configuration.operationTimeout` from now when nil.
    /// - Throws: `PaxosClientError` (its `kind` says whether the value may have been chosen).
    public func submit(_ value: String, requestID: String? = nil,
                       deadline: ContinuousClock.Instant? = nil) async throws(PaxosClientError) -> PaxosSubmitted {
        let id = requestID ?? UUID().uuidString.lowercased()
        let (answer, attempts) = try await withFailover(deadline: deadline, requestID: id) { connection, timeout in
            try await connection.call("paxos.submit", [.string(value), .string(id)], timeout: timeout)
        }
        let fields = answer.structValue ?? XMLRPCStruct()
        return PaxosSubmitted(instance: fields["instance"]?.intValue ?? 0, value: fields["value"]?.stringValue ?? value,
                              node: fields["node"]?.intValue ?? 0, requestID: id, attempts: attempts)
    }

    /// The applied instances from `from` on. `.local` is one node's file as it stands;
    /// `.linearizable` contains every value acknowledged before the read began.
    public func read(from: Int = 1, consistency: PaxosReadConsistency = .local,
                     deadline: ContinuousClock.Instant? = nil) async throws(PaxosClientError) -> [PaxosEntry] {
        var entries: [PaxosEntry] = []
        var start = from
        // A node answers at most `readPageMax` lines a call: a full page is followed by the next.
        while true {
            let parameters: [XMLRPCValue] = consistency == .local
                ? [.int(start)]
                : [.int(start), .struct(XMLRPCStruct([("consistency", .string(consistency.rawValue))]))]
            let (answer, _) = try await withFailover(deadline: deadline, requestID: nil) { connection, timeout in
                try await connection.call("paxos.read", parameters, timeout: timeout)
            }
            let page: [PaxosEntry] = (answer.arrayValue ?? []).compactMap { entry in
                guard let fields = entry.structValue, let instance = fields["instance"]?.intValue else { return nil }
                return PaxosEntry(instance: instance, value: fields["value"]?.stringValue ?? "")
            }
            entries += page
            guard page.count >= Self.readPageMax, let last = page.last, last.instance >= start else { return entries }
            start = last.instance + 1
        }
    }

    /// The most lines a node answers to one `paxos.read` (README, XML-RPC methods).
    public static let readPageMax = 10_000

    /// The status of whichever node answers first (the members it lists are the cluster's).
    public func status(deadline: ContinuousClock.Instant? = nil) async throws(PaxosClientError) -> PaxosNodeStatus {
        let (answer, _) = try await withFailover(deadline: deadline, requestID: nil) { connection, timeout in
            try await connection.call("paxos.status", [], timeout: timeout)
        }
        let fields = answer.structValue ?? XMLRPCStruct()
        let members = (fields["members"]?.arrayValue ?? []).compactMap { member -> (node: Int, address: String)? in
            guard let m = member.structValue, let node = m["node"]?.intValue, let address = m["address"]?.stringValue else { return nil }
            return (node, address)
        }
        return PaxosNodeStatus(node: fields["node"]?.intValue ?? 0, applied: fields["applied"]?.intValue ?? 0,
                               leader: fields["leader"]?.intValue ?? 0, members: members, raw: fields)
    }

    // MARK: Failover

    /// Runs `attempt` at one node after another until one answers, a fault says no node will
    /// answer otherwise, the deadline passes or the attempts run out. Returns the answer and the attempts made.
    private func withFailover(
        deadline: ContinuousClock.Instant?, requestID: String?,
        _ attempt: (XMLRPCClient, Duration) async throws -> XMLRPCValue
    ) async throws(PaxosClientError) -> (XMLRPCValue, attempts: Int) {
        let clock = ContinuousClock()
        let deadline = deadline ?? clock.now + configuration.operationTimeout
        var index = preferred.withLockedValue { $0 }
        var attempts = 0
        var mayHaveApplied = false
        var answered = false
        var lastFault: XMLRPCFault?
        var lastError = "the deadline had passed before the first attempt"
        var lastNode: PaxosNodeAddress?
        var backoff = configuration.backoffInitial
        while true {
            let remaining = clock.now.duration(to: deadline)
            if remaining <= .zero { break }
            attempts += 1
            lastNode = nodes[index]
            do {
                let answer = try await attempt(connections[index], min(configuration.attemptTimeout, remaining))
                let winner = index
                preferred.withLockedValue { $0 = winner }
                return (answer, attempts)
            } catch {
                let failure = AttemptFailure(error)
                lastError = failure.text
                if let fault = failure.fault {
                    lastFault = fault
                    answered = true
                }
                switch failure.verdict {
                case .stop:
                    throw PaxosClientError(kind: .rejected, lastFault: lastFault, lastError: lastError, lastNode: lastNode,
                                           attempts: attempts, requestID: requestID, noNodeAnswered: false)
                case .retryMaybeApplied:
                    mayHaveApplied = true
                case .retryNotApplied:
                    break
                }
            }
            if let attemptsMax = configuration.attemptsMax, attempts >= attemptsMax { break }
            index = (index + 1) % nodes.count
            let pause = Self.jittered(backoff)
            backoff = min(backoff * 2, configuration.backoffMax)
            let left = clock.now.duration(to: deadline)
            if left <= .zero { break }
            try? await Task.sleep(for: min(pause, left))
            if Task.isCancelled { break }
        }
        let kind: PaxosClientError.Kind = requestID == nil ? .unavailable : (mayHaveApplied ? .outcomeUnknown : .notChosen)
        throw PaxosClientError(kind: kind, lastFault: lastFault, lastError: lastError, lastNode: lastNode,
                               attempts: attempts, requestID: requestID, noNodeAnswered: !answered)
    }

    /// A pause drawn uniformly from the upper half of `backoff`.
    private static func jittered(_ backoff: Duration) -> Duration {
        backoff * Double.random(in: 0.5...1.0)
    }
}
