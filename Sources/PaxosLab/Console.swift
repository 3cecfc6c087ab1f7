import Foundation
import XMLRPC

/// The seed's client, in its own command language (case-insensitive):
///
///     set value <v> on <port>
///     A_wins <port1> <port2> <v1> <v2>      (X chosen before B starts: A's value wins)
///     B_wins <port1> <port2> <v1> <v2>      (B sees A's value and adopts it)
///     BB_wins <port1> <port2> <v1> <v2>     (B never sees A's value: B's own value wins)
///     restart | status | trace on|off | help | exit
///
/// Answers are printed as the seed's client printed them:
/// `Node 8000 responded: Value '123' has been updated and committed.`
public final class Console: @unchecked Sendable {
    private let cluster: LabCluster
    private let print: @Sendable (String) -> Void
    private var trace = false

    public init(cluster: LabCluster, print: @escaping @Sendable (String) -> Void) {
        self.cluster = cluster
        self.print = print
    }

    public static let help = """
        Commands (case-insensitive):
          set value <value> on <port>            submit a value through one node
          A_wins <port1> <port2> <v1> <v2>       already chosen: <v1> wins, <port2> adopts it
          B_wins <port1> <port2> <v1> <v2>       seen, not chosen: <port2> adopts <v1>, both succeed
          BB_wins <port1> <port2> <v1> <v2>      unseen, not chosen: <v2> wins, <port1> learns it
          restart                                every node back to an empty state and file
          status                                 every node's applied instances and file
          trace on | trace off                   print every protocol step of the scenarios
          help                                   this text
          exit                                   leave (so does the end of the input)
        """

    /// Runs one command line; returns false when the console should end.
    public func execute(_ line: String) async -> Bool {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let first = words.first?.lowercased() else { return true }
        do {
            switch first {
            case "exit", "quit":
                return false
            case "help", "?":
                print(Self.help)
            case "restart":
                try await cluster.reset()
                print("All nodes are restarted and their states reset.")
            case "status":
                try await status()
            case "trace":
                trace = words.count > 1 && words[1].lowercased() == "on"
                print("trace \(trace ? "on" : "off")")
            case "set":
                // set value <v> on <port>
                guard words.count == 5, words[1].lowercased() == "value", words[3].lowercased() == "on", let port = Int(words[4]) else {
                    print("usage: set value <value> on <port>")
                    return true
                }
                try await setValue(words[2], port: port)
            case "a_wins", "b_wins", "bb_wins":
                guard words.count == 5, let port1 = Int(words[1]), let port2 = Int(words[2]) else {
                    print("usage: \(words[0]) <port1> <port2> <value1> <value2>")
                    return true
                }
                try await scenario(Scenario.named(first)!, port1: port1, port2: port2, value1: words[3], value2: words[4])
            default:
                print("Unknown command '\(words[0])'. Type help for the commands.")
            }
        } catch {
            print("Error: \(error)")
        }
        return true
    }

    private func index(of port: Int) throws -> Int {
        guard let node = cluster.node(port: port) else {
            throw LabError("no node of the cluster listens on port \(port) (ports: \(cluster.nodes.map { String($0.port) }.joined(separator: ", ")))")
        }
        return node.index
    }

    private func setValue(_ value: String, port: Int) async throws {
        let node = try index(of: port)
        do {
            let answer = try await cluster.call(node, "paxos.submit", [.string(value)]).structValue
            let stored = answer?["value"]?.stringValue ?? value
            print("Node \(port) responded: Value '\(stored)' has been updated and committed.")
        } catch let fault as XMLRPCFault {
            print("Node \(port) responded with an error: \(fault.message) (fault \(fault.code))")
        }
    }

    private func scenario(_ scenario: Scenario, port1: Int, port2: Int, value1: String, value2: String) async throws {
        let a = try index(of: port1)
        let b = try index(of: port2)
        let quiet: @Sendable (String) -> Void = { _ in }
        let printer: @Sendable (String) -> Void = trace ? self.print : quiet
        let runner = ScenarioRunner(cluster: cluster, print: printer)
        let result = try await runner.run(scenario, a: a, b: b, valueA: value1, valueB: value2)
        for answer in result.outcome.answers {
            print("Node \(cluster.nodes[answer.node].port) responded: Value '\(answer.value)' has been updated and committed.")
        }
        if !result.outcome.succeeded {
            print("Warning: the outcome differs from the lecture's: \(result.outcome.problems.joined(separator: "; "))")
        }
    }

    private func status() async throws {
        for node in cluster.nodes {
            do {
                let lines = try await cluster.fileLines(on: node.index)
                print("Node \(node.port) (\(node.name)): \(lines.count) lines" + (lines.isEmpty ? "" : ", last: \(lines.last!)"))
            } catch {
                print("Node \(node.port) (\(node.name)): down (\(error))")
            }
        }
    }
}
