import Foundation
import PaxosServer

/// The cluster a scenario or the console plays on: the one answering at the base port, or, if
/// none does, a temporary one of real node processes that is stopped (and deleted) at the end.
public final class LabSession: Sendable {
    public let cluster: LabCluster
    private let temporary: LocalCluster?
    private let temporaryDirectory: String?

    private init(cluster: LabCluster, temporary: LocalCluster?, temporaryDirectory: String?) {
        self.cluster = cluster
        self.temporary = temporary
        self.temporaryDirectory = temporaryDirectory
    }

    public var startedItsOwnCluster: Bool { temporary != nil }

    public static func open(basePort: Int, nodes: Int, executable: String,
                            print: @Sendable (String) -> Void) async throws -> LabSession {
        if let cluster = await LabCluster.discover(port: basePort) {
            print("using the cluster of \(cluster.nodes.count) nodes answering at 127.0.0.1:\(basePort)")
            return LabSession(cluster: cluster, temporary: nil, temporaryDirectory: nil)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paxos-lab-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let configuration = ClusterConfiguration.local(nodes: nodes, basePort: basePort, dataDirectory: directory)
        let local = LocalCluster(configuration: configuration, configurationPath: directory + "/cluster.json",
                                 executable: executable, nodeArguments: ["--log-level", "info"])
        print("no cluster answers at 127.0.0.1:\(basePort): starting a temporary one of \(nodes) nodes (ports \(basePort)-\(basePort + nodes - 1))")
        do {
            try local.startAll()
            try await local.waitUntilServing()
        } catch {
            local.stopAll()
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        let nodesSeen = configuration.nodes.enumerated().map { index, node in
            LabCluster.Node(index: index, id: Int(node.id), address: node.address, port: node.port)
        }
        return LabSession(cluster: LabCluster(nodes: nodesSeen), temporary: local, temporaryDirectory: directory)
    }

    /// Stops a temporary cluster and removes its files; leaves a found cluster running.
    public func close() async {
        await cluster.shutdown()
        temporary?.stopAll()
        if let temporaryDirectory { try? FileManager.default.removeItem(atPath: temporaryDirectory) }
    }
}
