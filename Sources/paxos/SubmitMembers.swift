import ArgumentParser
import Foundation
import PaxosClient
import PaxosServer

/// Where `paxos submit` finds the members it may fail over to: `--config`, else the
/// cluster.json that `paxos cluster` wrote into `--data-dir`, else the members that the first
/// node lists in `paxos.status()`. A `--node` the user names is tried first, and a data
/// directory's cluster.json is used with it only if it lists that node (it may describe
/// another cluster).
struct SubmitMembers: ParsableArguments {
    @Option(name: .customLong("node"), help: "The node to ask first, as HOST:PORT (default: the members of the configuration, else 127.0.0.1:8000).")
    var address: String?

    @Option(name: .customLong("config"), help: "A cluster.json naming the members to fail over to.")
    var configurationPath: String?

    @Option(help: "The data directory `paxos cluster` was started with; its cluster.json names the members.")
    var dataDir = "./paxos-data"

    static let defaultAddress = "127.0.0.1:8000"
    /// How long the first node has to list the members when no configuration names them.
    static let discoveryTimeout = Duration.seconds(2)

    func validate() throws {
        if let address {
            do { _ = try PaxosNodeAddress(parsing: address) } catch { throw ValidationError("--node: \(error)") }
        }
    }

    /// The members, the node to ask first at the front.
    func resolve(configuration: PaxosClientConfiguration) async throws -> [PaxosNodeAddress] {
        let first = try address.map { try PaxosNodeAddress(parsing: $0) }
        if let configurationPath {
            return Self.firstAtFront(first, try Self.members(configurationPath: configurationPath))
        }
        let dataDirectoryConfiguration = URL(fileURLWithPath: dataDir).standardizedFileURL.path + "/cluster.json"
        if FileManager.default.fileExists(atPath: dataDirectoryConfiguration),
           let members = try? Self.members(configurationPath: dataDirectoryConfiguration),
           first.map(members.contains) ?? true {
            return Self.firstAtFront(first, members)
        }
        let seed = try first ?? PaxosNodeAddress(parsing: Self.defaultAddress)
        return Self.firstAtFront(seed, await Self.members(listedBy: seed, configuration: configuration))
    }

    private static func members(configurationPath: String) throws -> [PaxosNodeAddress] {
        try ClusterConfiguration.load(path: configurationPath).nodes.map { PaxosNodeAddress(host: $0.host, port: $0.port) }
    }

    /// The members `seed` lists, or none if it does not answer (the submit then tries `seed` alone).
    private static func members(listedBy seed: PaxosNodeAddress, configuration: PaxosClientConfiguration) async -> [PaxosNodeAddress] {
        let client = PaxosClient(nodes: [seed], configuration: configuration)
        defer { Task { await client.shutdown() } }
        guard let status = try? await client.status(deadline: .now + discoveryTimeout) else { return [] }
        return status.members.compactMap { try? PaxosNodeAddress(parsing: $0.address) }
    }

    private static func firstAtFront(_ first: PaxosNodeAddress?, _ members: [PaxosNodeAddress]) -> [PaxosNodeAddress] {
        guard let first else { return members }
        return [first] + members.filter { $0 != first }
    }
}
