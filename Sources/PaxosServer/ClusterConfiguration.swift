import Foundation
import PaxosCore

/// The cluster as `cluster.json` describes it: every node's address and data directory. The same
/// file starts every node (`paxos node --id N --config cluster.json`), so nodes may live on
/// different hosts as long as each address is reachable from the others.
public struct ClusterConfiguration: Codable, Hashable, Sendable {
    public struct Node: Codable, Hashable, Sendable {
        public var id: UInt32
        public var host: String
        public var port: Int
        public var dataDirectory: String

        public init(id: UInt32, host: String, port: Int, dataDirectory: String) {
            self.id = id
            self.host = host
            self.port = port
            self.dataDirectory = dataDirectory
        }

        public var address: String { "\(host):\(port)" }
        public var nodeID: NodeID { NodeID(id) }
    }

    public static let currentVersion = 1

    public var version: Int
    public var nodes: [Node]
    /// Admin methods (`admin.reset`, fault injection): on for the local lab cluster, off otherwise.
    public var adminEnabled: Bool
    /// The cluster secret's file (README, Security), relative to the configuration file's
    /// folder unless absolute. Every member needs the same secret; `paxos node --secret-file`
    /// overrides this.
    public var secretFile: String?

    /// The name `paxos cluster` gives the secret beside its cluster.json.
    public static let localSecretFileName = "cluster.secret"

    public init(nodes: [Node], adminEnabled: Bool, secretFile: String? = nil) {
        self.version = Self.currentVersion
        self.nodes = nodes
        self.adminEnabled = adminEnabled
        self.secretFile = secretFile
    }

    private enum CodingKeys: String, CodingKey {
        case version, nodes, adminEnabled, secretFile
    }

    /// A configuration written by hand may leave `adminEnabled` out: admin methods are then off
    /// (only `paxos cluster`, for its local lab cluster, writes `true`).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        nodes = try container.decode([Node].self, forKey: .nodes)
        adminEnabled = try container.decodeIfPresent(Bool.self, forKey: .adminEnabled) ?? false
        secretFile = try container.decodeIfPresent(String.self, forKey: .secretFile)
    }

    /// Where the secret lives for a configuration read from `configurationPath`, or nil when it names none.
    public func secretPath(configurationPath: String) -> String? {
        guard let secretFile, !secretFile.isEmpty else { return nil }
        if secretFile.hasPrefix("/") { return secretFile }
        let folder = URL(fileURLWithPath: configurationPath).deletingLastPathComponent().path
        return folder + "/" + secretFile
    }

    /// The embedded default of `paxos cluster`: node i on 127.0.0.1:(basePort + i - 1), its data in `<dataDirectory>/node-i`.
    public static func local(nodes count: Int, basePort: Int, dataDirectory: String) -> ClusterConfiguration {
        let root = URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
        let nodes = (1...count).map { i in
            Node(id: UInt32(i), host: "127.0.0.1", port: basePort + i - 1, dataDirectory: "\(root)/node-\(i)")
        }
        return ClusterConfiguration(nodes: nodes, adminEnabled: true, secretFile: localSecretFileName)
    }

    public func node(_ id: UInt32) -> Node? { nodes.first { $0.id == id } }

    public var members: [NodeID] { nodes.map(\.nodeID) }

    /// Why this configuration cannot run, or nil.
    public func validationProblem() -> String? {
        if version != Self.currentVersion { return "unsupported configuration version \(version) (expected \(Self.currentVersion))" }
        if nodes.isEmpty { return "the configuration lists no nodes" }
        if nodes.count > 9 { return "at most 9 nodes are supported, the configuration lists \(nodes.count)" }
        if Set(nodes.map(\.id)).count != nodes.count { return "node ids must be distinct" }
        if nodes.contains(where: { $0.id == 0 }) { return "node ids start at 1" }
        if Set(nodes.map(\.address)).count != nodes.count { return "node addresses must be distinct" }
        if let bad = nodes.first(where: { !(1...65535).contains($0.port) }) { return "node \(bad.id) has port \(bad.port), outside 1-65535" }
        return nil
    }

    public static func load(path: String) throws -> ClusterConfiguration {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigurationError("cannot read the cluster configuration \(path): \(error.localizedDescription)")
        }
        let configuration: ClusterConfiguration
        do {
            configuration = try JSONDecoder().decode(ClusterConfiguration.self, from: data)
        } catch {
            throw ConfigurationError("\(path) is not a valid cluster configuration: \(error)")
        }
        if let problem = configuration.validationProblem() { throw ConfigurationError("\(path): \(problem)") }
        return configuration
    }

    /// Written to a temporary file and renamed, so a reader never sees half a configuration.
    public func write(path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
