import ArgumentParser
import Foundation
import PaxosServer
import XMLRPC

/// Where a client command sends its call.
struct NodeAddressOptions: ParsableArguments {
    @Option(name: .customLong("node"), help: "The node to ask, as HOST:PORT.")
    var address = "127.0.0.1:8000"

    @Option(help: "Seconds to wait for the answer.")
    var timeout: Double = 30

    @OptionGroup var credentials: ClientCredentialOptions

    func validate() throws {
        _ = try endpoint()
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func endpoint() throws -> (host: String, port: Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
              (1...65535).contains(port), colon != address.startIndex else {
            throw ValidationError("--node must be HOST:PORT, for example 127.0.0.1:8000 (got '\(address)')")
        }
        return (String(address[..<colon]), port)
    }

    /// The client configuration of this command's calls: signed as an operator when `signing`
    /// is given (admin calls), else with the client credentials, if any.
    func clientConfiguration(signing: RequestSigning? = nil) throws -> XMLRPCClientConfiguration {
        if let signing { return signing.clientConfiguration(as: .operator) }
        var configuration = XMLRPCClientConfiguration()
        do {
            configuration.requestHeaders = try credentials.headers()
        } catch {
            printError("\(error)")
            throw ExitCode(64)
        }
        return configuration
    }

    /// Calls one method and maps failures to messages and exit codes fit for scripts.
    func call(_ method: String, _ parameters: [XMLRPCValue], signing: RequestSigning? = nil) async throws -> XMLRPCValue {
        let (host, port) = try endpoint()
        let client = XMLRPCClient(host: host, port: port, configuration: try clientConfiguration(signing: signing))
        defer { Task { await client.shutdown() } }
        do {
            return try await client.call(method, parameters, timeout: .milliseconds(Int(timeout * 1000)))
        } catch let fault as XMLRPCFault {
            printError("node \(address) answered with fault \(fault.code): \(fault.message)")
            throw ExitCode(1)
        } catch {
            printError("cannot reach node \(address): \(error)")
            throw ExitCode(2)
        }
    }
}

func printError(_ message: String) {
    try? FileHandle.standardError.write(contentsOf: Data("paxos: \(message)\n".utf8))
}

struct ProposeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "propose",
        abstract: "Run single-decree Paxos on one instance; prints the value chosen there (maybe another proposer's)."
    )

    @Option(help: "The instance to decide.")
    var instance: Int

    @Option(help: "The lowest round of the first ballot (the lecture's 3.1 is round 3 of node 1).")
    var round: Int = 0

    @Argument(help: "The value to propose.")
    var value: String

    @OptionGroup var node: NodeAddressOptions

    func validate() throws {
        guard instance >= 1 else { throw ValidationError("--instance must be at least 1") }
        guard round >= 0 else { throw ValidationError("--round must not be negative") }
    }

    func run() async throws {
        let answer = try await node.call("paxos.propose", [.int(instance), .string(value), .int(round)])
        let s = answer.structValue ?? XMLRPCStruct()
        let chosen = s["noop"]?.boolValue == true ? "(no-op)" : (s["value"]?.stringValue ?? "")
        let ours = s["ours"]?.boolValue == true ? "ours" : "another proposer's"
        print("instance \(instance): chosen \(chosen) (\(ours))")
    }
}

struct ReadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract: "Print the node's applied instances, as lines of its replicated file."
    )

    @OptionGroup var node: NodeAddressOptions

    func run() async throws {
        // A call answers at most a page (10,000 lines): ask again after the last one until none is left.
        var from = 1
        while true {
            let page = try await node.call("paxos.read", [.int(from)]).arrayValue ?? []
            var last = 0
            for entry in page {
                guard let s = entry.structValue else { continue }
                last = s["instance"]?.intValue ?? last
                print("\(s["instance"]?.intValue ?? 0) \(s["value"]?.stringValue ?? "")")
            }
            guard !page.isEmpty, last >= from else { break }
            from = last + 1
        }
    }
}

struct ResetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset",
        abstract: "The seed's restart: every node back to an empty log and an empty file (admin)."
    )

    @OptionGroup var node: NodeAddressOptions
    @OptionGroup var secret: OperatorSecretOptions

    func run() async throws {
        let signing: RequestSigning
        do {
            signing = try secret.signing()
        } catch {
            printError("\(error)")
            throw ExitCode(64)
        }
        let answer = try await node.call("admin.reset", [], signing: signing)
        let s = answer.structValue ?? XMLRPCStruct()
        var failed = false
        for result in s["nodes"]?.arrayValue ?? [] {
            guard let r = result.structValue else { continue }
            let id = r["node"]?.intValue ?? 0
            if r["ok"]?.boolValue == true {
                print("node \(id): reset")
            } else {
                failed = true
                print("node \(id): NOT reset: \(r["error"]?.stringValue ?? "")")
            }
        }
        print("era \(s["era"]?.intValue ?? 0)")
        if failed { throw ExitCode(1) }
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every node of the cluster as a table (asks --node for the members, then each member).",
        discussion: """
            Columns: LEADER (the distinguished proposer as the node sees it), LEADING (it holds a \
            Multi-Paxos leadership), BALLOT (highest round used or seen), LAG (instances behind the \
            highest chosen instance any node reports), PENDING (submits waiting), FSYNC P99 (of its \
            latest fsyncs), UPTIME. Exits 1 if a node is down.
            """
    )

    @OptionGroup var node: NodeAddressOptions

    @Flag(help: "Refresh the table in place once a second, until Ctrl-C.")
    var watch = false

    @Flag(help: "Print the nodes as JSON, for scripts.")
    var json = false

    func validate() throws {
        if watch && json { throw ValidationError("--watch and --json do not go together") }
    }

    func run() async throws {
        if !watch {
            let nodes = try await survey()
            print(json ? Self.json(nodes) : Self.table(nodes))
            if nodes.contains(where: { $0.status == nil }) { throw ExitCode(1) }
            return
        }
        while true {
            let nodes = (try? await survey()) ?? []
            let stamp = ISO8601DateFormatter().string(from: Date())
            // Home and clear: the table stays in place, like top.
            say("\u{1B}[H\u{1B}[2J" + "paxos status \(node.address)   \(stamp)   (Ctrl-C stops)\n" + Self.table(nodes))
            try await Task.sleep(nanoseconds: 1_000_000_000)
        }
    }

    struct NodeRow {
        var id: Int
        var address: String
        var status: XMLRPCStruct?
    }

    /// Every member as the first node lists them, each asked for its own status.
    func survey() async throws -> [NodeRow] {
        let first = try await node.call("paxos.status", [])
        let members = first.structValue?["members"]?.arrayValue?.compactMap { $0.structValue } ?? []
        var rows: [NodeRow] = []
        for member in members {
            let address = member["address"]?.stringValue ?? "?"
            var options = node
            options.address = address
            let (host, port) = try options.endpoint()
            let client = XMLRPCClient(host: host, port: port, configuration: try node.clientConfiguration())
            defer { Task { await client.shutdown() } }
            let status = try? await client.call("paxos.status", [], timeout: .seconds(min(node.timeout, 3))).structValue
            rows.append(NodeRow(id: member["node"]?.intValue ?? 0, address: address, status: status))
        }
        return rows
    }

    static func table(_ nodes: [NodeRow]) -> String {
        let highestChosen = nodes.compactMap { $0.status?["highestChosen"]?.intValue }.max() ?? 0
        var rows: [[String]] = [["NODE", "ADDRESS", "STATE", "APPLIED", "CHOSEN", "LAG", "LEADER", "LEADING", "BALLOT",
                                 "PENDING", "FSYNC P99", "UPTIME", "ERA", "FILE"]]
        for row in nodes {
            guard let s = row.status else {
                rows.append([String(row.id), row.address, "down"] + Array(repeating: "-", count: 11))
                continue
            }
            let applied = s["applied"]?.intValue ?? 0
            let fsync = s["fsyncP99Seconds"]?.doubleValue ?? 0
            rows.append([String(row.id), row.address, "up", String(applied), String(s["highestChosen"]?.intValue ?? 0),
                         String(max(highestChosen - applied, 0)), String(s["leader"]?.intValue ?? 0),
                         s["leading"]?.boolValue == true ? "yes" : "no", String(s["ballotRound"]?.intValue ?? 0),
                         String(s["pendingSubmits"]?.intValue ?? 0),
                         fsync > 0 ? String(format: "%.2f ms", fsync * 1000) : "-",
                         duration(s["uptimeSeconds"]?.doubleValue ?? 0), String(s["era"]?.intValue ?? 0),
                         s["file"]?.stringValue ?? ""])
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds)
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m\(total % 60)s" }
        return "\(total / 3600)h\((total % 3600) / 60)m"
    }

    /// One object per node: its status members as the node answered them, plus `state` and `lag`.
    static func json(_ nodes: [NodeRow]) -> String {
        let highestChosen = nodes.compactMap { $0.status?["highestChosen"]?.intValue }.max() ?? 0
        let objects: [[String: Any]] = nodes.map { row in
            var object: [String: Any] = ["node": row.id, "address": row.address, "state": row.status == nil ? "down" : "up"]
            guard let status = row.status else { return object }
            for (name, value) in status where name != "members" {
                switch value {
                case .int(let n): object[name] = n
                case .bool(let b): object[name] = b
                case .double(let d): object[name] = d
                case .string(let text): object[name] = text
                default: break
                }
            }
            object["lag"] = max(highestChosen - (status["applied"]?.intValue ?? 0), 0)
            return object
        }
        let data = (try? JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// Writes a line to standard output at once (print() is block-buffered when output is a file or a pipe).
func say(_ line: String) {
    try? FileHandle.standardOutput.write(contentsOf: Data((line + "\n").utf8))
}
