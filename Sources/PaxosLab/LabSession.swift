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

    /// - Parameter secret: finds the secret of a cluster already running (the operator's
    ///   `--data-dir` or `--secret-file`); a temporary cluster makes its own.
    public static func open(basePort: Int, nodes: Int, executable: String, secret: () throws -> ClusterSecret,
                            print: @Sendable (String) -> Void) async throws -> LabSession {
        if await LabCluster.answers(port: basePort) {
            let signing: RequestSigning
            do {
                signing = RequestSigning(secret: try secret())
            } catch {
                throw LabError("a cluster answers at 127.0.0.1:\(basePort), but the lab cannot drive it without its secret: \(error)")
            }
            guard let cluster = await LabCluster.discover(port: basePort, signing: signing) else {
                throw LabError("the node at 127.0.0.1:\(basePort) stopped answering")
            }
            print("using the cluster of \(cluster.nodes.count) nodes answering at 127.0.0.1:\(basePort)")
            return LabSession(cluster: cluster, temporary: nil, temporaryDirectory: nil)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paxos-lab-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let configuration = ClusterConfiguration.local(nodes: nodes, basePort: basePort, dataDirectory: directory)
        let local = LocalCluster(configuration: configuration, configurationPath: directory + "/cluster.json",
                                 executable: executable, nodeArguments: ["--log-level", "info"])
        print("no cluster answers at 127.0.0.1:\(basePort): starting a temporary one of \(nodes) nodes (ports \(basePort)-\(basePort + nodes - 1))")
        let signing: RequestSigning
        do {
            try local.startAll()
            try await local.waitUntilServing()
            signing = try local.operatorSigning()
        } catch {
            local.stopAll()
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        let nodesSeen = configuration.nodes.enumerated().map { index, node in
            LabCluster.Node(index: index, id: Int(node.id), address: node.address, port: node.port)
        }
        return LabSession(cluster: LabCluster(nodes: nodesSeen, signing: signing), temporary: local, temporaryDirectory: directory)
    }

    /// Stops a temporary cluster and removes its files; leaves a found cluster running.
    public func close() async {
        await cluster.shutdown()
        temporary?.stopAll()
        if let temporaryDirectory { try? FileManager.default.removeItem(atPath: temporaryDirectory) }
    }
}
