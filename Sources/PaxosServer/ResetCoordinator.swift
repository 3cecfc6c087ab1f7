import PaxosCore
import XMLRPC

/// `admin.reset` on any node: the seed's "restart" for the whole cluster. It picks an era higher
/// than every reachable node's, then empties every node into it (itself included). A node that
/// was unreachable keeps its old era, so it cannot mix old messages into the new history; reset
/// again once it is back.
struct ResetCoordinator: Sendable {
    let runtime: NodeRuntime
    let cluster: ClusterConfiguration
    /// The other nodes take `admin.resetLocal` only from a member or an operator.
    let signing: RequestSigning
    static let callTimeout: Duration = .seconds(5)

    func resetCluster() async throws -> XMLRPCValue {
        let me = runtime.member
        var highestEra = await runtime.currentEra
        var clients: [UInt32: XMLRPCClient] = [:]
        for node in cluster.nodes where node.id != me.id {
            clients[node.id] = XMLRPCClient(host: node.host, port: node.port,
                                            configuration: signing.clientConfiguration(as: .node(me.id)))
        }
        defer {
            let all = clients.values
            Task { for client in all { await client.shutdown() } }
        }
        await withTaskGroup(of: UInt64?.self) { group in
            for client in clients.values {
                group.addTask {
                    guard case .struct(let status)? = try? await client.call("paxos.status", [], timeout: Self.callTimeout),
                          case .int(let era)? = status["era"], era >= 0, UInt64(era) < WireLimits.eraMax else { return nil }
                    return UInt64(max(era, 0))
                }
            }
            for await era in group { if let era { highestEra = max(highestEra, era) } }
        }
        let newEra = highestEra + 1
        var results: [(UInt32, String?)] = []
        await withTaskGroup(of: (UInt32, String?).self) { group in
            for (id, client) in clients {
                group.addTask {
                    do {
                        _ = try await client.call("admin.resetLocal", [.int(Int(newEra))], timeout: Self.callTimeout)
                        return (id, nil)
                    } catch {
                        return (id, "\(error)")
                    }
                }
            }
            for await result in group { results.append(result) }
        }
        do {
            try await runtime.resetLocal(era: newEra)
            results.append((me.id, nil))
        } catch {
            results.append((me.id, "\(error)"))
        }
        results.sort { $0.0 < $1.0 }
        return .struct(XMLRPCStruct([
            ("era", .int(Int(newEra))),
            ("nodes", .array(results.map { id, error in
                .struct(XMLRPCStruct([("node", .int(Int(id))), ("ok", .bool(error == nil)), ("error", .string(error ?? ""))]))
            })),
        ]))
    }
}
