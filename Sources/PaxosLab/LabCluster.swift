import Foundation
import PaxosServer
import XMLRPC

/// The lab's cluster as an orchestrator sees it: nodes S1..Sn reached over XML-RPC, with the
/// admin calls the scenarios drive them by (fault rules, timing, acceptor state, events).
public final class LabCluster: Sendable {
    public struct Node: Sendable {
        public var index: Int
        public var id: Int
        public var address: String
        public var port: Int
        public var name: String { "S\(id)" }

        public init(index: Int, id: Int, address: String, port: Int) {
            self.index = index
            self.id = id
            self.address = address
            self.port = port
        }
    }

    public let nodes: [Node]
    private let clients: [XMLRPCClient]
    public static let callTimeout: Duration = .seconds(15)

    /// - Parameter signing: the cluster's secret: the lab drives nodes through admin methods,
    ///   which take only calls signed with it (as an operator).
    public init(nodes: [Node], signing: RequestSigning) {
        self.nodes = nodes
        let configuration = signing.clientConfiguration(as: .operator)
        self.clients = nodes.map { node in
            let host = String(node.address.split(separator: ":").dropLast().joined(separator: ":"))
            return XMLRPCClient(host: host.isEmpty ? "127.0.0.1" : host, port: node.port, configuration: configuration)
        }
    }

    /// The cluster whose node answers at `host:port`, as that node lists its members; nil if nobody answers.
    public static func discover(host: String = "127.0.0.1", port: Int, signing: RequestSigning) async -> LabCluster? {
        let client = XMLRPCClient(host: host, port: port, configuration: signing.clientConfiguration(as: .operator))
        defer { Task { await client.shutdown() } }
        guard let status = try? await client.call("paxos.status", [], timeout: .seconds(2)).structValue,
              let members = status["members"]?.arrayValue else { return nil }
        let nodes = members.enumerated().compactMap { index, member -> Node? in
            guard let s = member.structValue, let id = s["node"]?.intValue, let address = s["address"]?.stringValue,
                  let port = Int(address.split(separator: ":").last ?? "") else { return nil }
            return Node(index: index, id: id, address: address, port: port)
        }
        return nodes.isEmpty ? nil : LabCluster(nodes: nodes, signing: signing)
    }

    /// Whether anything answers `paxos.status` at `host:port` (a client method: no secret needed).
    public static func answers(host: String = "127.0.0.1", port: Int) async -> Bool {
        let client = XMLRPCClient(host: host, port: port)
        defer { Task { await client.shutdown() } }
        return (try? await client.call("paxos.status", [], timeout: .seconds(2))) != nil
    }

    public func shutdown() async {
        for client in clients { await client.shutdown() }
    }

    public func node(port: Int) -> Node? { nodes.first { $0.port == port } }

    @discardableResult
    public func call(_ node: Int, _ method: String, _ parameters: [XMLRPCValue] = [], timeout: Duration = LabCluster.callTimeout) async throws -> XMLRPCValue {
        try await clients[node].call(method, parameters, timeout: timeout)
    }

    // MARK: Admin helpers

    public func reset() async throws {
        let answer = try await call(0, "admin.reset").structValue
        let failed = (answer?["nodes"]?.arrayValue ?? []).filter { $0.structValue?["ok"]?.boolValue != true }
        if !failed.isEmpty { throw LabError("reset did not reach every node: \(failed)") }
    }

    /// Adds a rule on `node` for its outgoing messages of `type` (to `to`, or to everyone); returns the rule id.
    @discardableResult
    public func fault(on node: Int, _ action: String, _ type: String, to: Int? = nil) async throws -> Int {
        var filter = XMLRPCStruct()
        filter["type"] = .string(type)
        if let to { filter["to"] = .int(nodes[to].id) }
        return try await call(node, "admin.faultAdd", [.string(action), .struct(filter)]).intValue ?? 0
    }

    /// Sends what a rule held and removes the rule.
    public func release(on node: Int, rule: Int) async throws {
        try await call(node, "admin.faultRelease", [.int(rule), .bool(true)])
    }

    public func held(on node: Int, rule: Int) async throws -> Int {
        let rules = try await call(node, "admin.faultStatus").arrayValue ?? []
        return rules.first { $0.structValue?["rule"]?.intValue == rule }?.structValue?["held"]?.intValue ?? 0
    }

    public func clearFaults() async throws {
        for node in nodes.indices { try await call(node, "admin.faultClear") }
    }

    public func setTiming(on node: Int, backoff: String, phaseTimeoutMilliseconds: Int? = nil) async throws {
        var parameters: [XMLRPCValue] = [.string(backoff)]
        if let phaseTimeoutMilliseconds { parameters.append(.int(phaseTimeoutMilliseconds)) }
        try await call(node, "admin.setTiming", parameters)
    }

    public struct AcceptorView: Sendable, Equatable {
        public var promised: String
        public var accepted: String
        public var value: String
        public var chosen: String?
    }

    public func acceptor(on node: Int, instance: Int) async throws -> AcceptorView {
        let s = try await call(node, "admin.acceptorState", [.int(instance)]).structValue ?? XMLRPCStruct()
        return AcceptorView(promised: s["promised"]?.stringValue ?? "", accepted: s["accepted"]?.stringValue ?? "",
                            value: s["value"]?.stringValue ?? "", chosen: s["chosen"]?.stringValue)
    }

    public func fileLines(on node: Int) async throws -> [String] {
        let entries = try await call(node, "paxos.read").arrayValue ?? []
        return entries.compactMap { entry in
            guard let s = entry.structValue else { return nil }
            return "\(s["instance"]?.intValue ?? 0) \(s["value"]?.stringValue ?? "")"
        }
    }

    /// The next instance nobody has decided: where a scenario plays.
    public func nextFreeInstance() async throws -> Int {
        var highest = 0
        for node in nodes.indices {
            let status = try await call(node, "paxos.status").structValue
            highest = max(highest, status?["highestChosen"]?.intValue ?? 0)
        }
        return highest + 1
    }

    /// Waits until `condition` holds, polling; fails with `what` after `seconds`.
    public func waitUntil(_ what: String, seconds: Double = 10, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if try await condition() { return }
            if Date() > deadline { throw LabError("timed out after \(Int(seconds)) s waiting until \(what)") }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
    }
}

public struct LabError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
