import Foundation
import PaxosCore
import XMLRPC

/// Asks the other members, signed as this node, whether the cluster has data (`paxos.status`:
/// an applied instance or a ballot round). Used by a node starting on an empty data directory.
///
/// A peer that does not answer within the timeout (not started yet, refused, slow) counts for
/// nothing: the nodes of a brand-new cluster start together, each on an empty directory, and
/// each must come up although its peers are not serving yet. So the check is one call per peer,
/// at once, no retry; a node rebuilt while every peer is down is not caught (README, Rebuilt
/// nodes). A peer that answers with data is enough to refuse.
struct ClusterDataProbe {
    let cluster: ClusterConfiguration
    let member: ClusterConfiguration.Node
    let signing: RequestSigning

    struct Witness: Sendable {
        var node: UInt32
        var applied: Int
        var round: Int
    }

    func firstPeerWithData(timeoutSeconds: Double) async -> Witness? {
        let configuration = signing.clientConfiguration(as: .node(member.id))
        let peers = cluster.nodes.filter { $0.id != member.id }
        let timeout = Duration.milliseconds(Int64(max(timeoutSeconds, 0.1) * 1_000))
        return await withTaskGroup(of: Witness?.self) { group in
            for peer in peers {
                group.addTask {
                    let client = XMLRPCClient(host: peer.host, port: peer.port, configuration: configuration)
                    defer { Task { await client.shutdown() } }
                    guard let status = try? await client.call("paxos.status", [], timeout: timeout),
                          case .struct(let fields) = status else { return nil }
                    var applied = 0, round = 0
                    if case .int(let value)? = fields["applied"] { applied = value }
                    if case .int(let value)? = fields["ballotRound"] { round = value }
                    return applied > 0 || round > 0 ? Witness(node: peer.id, applied: applied, round: round) : nil
                }
            }
            var found: Witness? = nil
            for await witness in group where found == nil { found = witness }
            return found
        }
    }
}
