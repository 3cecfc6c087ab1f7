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
        let answer = try await node.call("paxos.read", [])
        for entry in answer.arrayValue ?? [] {
            guard let s = entry.structValue else { continue }
            print("\(s["instance"]?.intValue ?? 0) \(s["value"]?.stringValue ?? "")")
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
        abstract: "Show every node of the cluster as a table (asks --node for the members, then each member)."
    )

    @OptionGroup var node: NodeAddressOptions

    func run() async throws {
        let first = try await node.call("paxos.status", [])
        let members = first.structValue?["members"]?.arrayValue?.compactMap { $0.structValue } ?? []
        var rows: [[String]] = [["NODE", "ADDRESS", "STATE", "APPLIED", "CHOSEN", "LINES", "ERA", "FILE"]]
        var down = 0
        for member in members {
            let address = member["address"]?.stringValue ?? "?"
            let id = member["node"]?.intValue ?? 0
            var options = node
            options.address = address
            options.timeout = min(node.timeout, 3)
            let (host, port) = try options.endpoint()
            let client = XMLRPCClient(host: host, port: port, configuration: try node.clientConfiguration())
            defer { Task { await client.shutdown() } }
            if let status = try? await client.call("paxos.status", [], timeout: .seconds(3)).structValue {
                rows.append([String(id), address, "up", "\(status["applied"]?.intValue ?? 0)",
                             "\(status["highestChosen"]?.intValue ?? 0)", "\(status["lines"]?.intValue ?? 0)",
                             "\(status["era"]?.intValue ?? 0)", status["file"]?.stringValue ?? ""])
            } else {
                down += 1
                rows.append([String(id), address, "down", "-", "-", "-", "-", "-"])
            }
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces))
        }
        if down > 0 { throw ExitCode(1) }
    }
}

/// Writes a line to standard output at once (print() is block-buffered when output is a file or a pipe).
func say(_ line: String) {
    try? FileHandle.standardOutput.write(contentsOf: Data((line + "\n").utf8))
}
