import PaxosCore
import XMLRPC

/// The client and peer XML-RPC methods of a node (the admin ones are in `AdminMethods`).
/// Handlers are thin: check parameters, call the runtime, shape the answer as a struct with
/// readable member names.
enum NodeMethods {
    static func register(on registry: XMLRPCMethodRegistry, runtime: NodeRuntime, cluster: ClusterConfiguration,
                         adminEnabled: Bool, resetCoordinator: ResetCoordinator, access: NodeAccessPolicy) {
        let client = NodeAccessPolicy.Grant.client
        // MARK: Client methods

        registry.register(
            "paxos.submit",
            help: "submit(value[, requestId]): append value to the replicated file in the next free instance. Returns {instance, value, node} once a majority has durably chosen it. With a requestId (1-64 printable ASCII characters, a UUID in practice), a retry of the same request at any node returns the first outcome instead of appending the value again.",
            signature: [["struct", "string"], ["struct", "string", "string"]], requires: client
        ) { parameters in
            try parameters.expectCount(1...2)
            let clientCommand = try parameters.optionalString(1).map { requestID throws(XMLRPCFault) in
                try ClientRequestID.commandID(for: requestID)
            }
            let submitted: NodeRuntime.Submitted
            do {
                submitted = try await runtime.submit(try parameters.string(0), clientCommand: clientCommand)
                runtime.metrics.submitted("ok")
            } catch {
                runtime.metrics.submitted(NodeMetrics.outcome(of: error))
                throw error
            }
            return .struct(XMLRPCStruct([
                ("instance", .int(Int(submitted.instance))), ("value", .string(submitted.value)),
                ("node", .int(Int(runtime.member.id))),
            ]))
        }

        registry.register(
            "paxos.propose",
            help: "propose(instance, value[, round]): run single-decree Paxos on one instance. Returns {instance, value, ours, noop, node}: the value chosen there, which may be another proposer's.",
            signature: [["struct", "int", "string"], ["struct", "int", "string", "int"]], requires: client
        ) { parameters in
            try parameters.expectCount(2...3)
            let instance = try parameters.int(0)
            guard instance >= 1, UInt64(instance) <= WireLimits.instanceMax else {
                throw XMLRPCFault(code: XMLRPCFault.invalidParameters, message: "parameter 1 (instance) must be 1-\(WireLimits.instanceMax)")
            }
            let round = try parameters.optionalInt(2) ?? 0
            guard round >= 0, UInt64(round) <= WireLimits.clientRoundMax else {
                throw XMLRPCFault(code: XMLRPCFault.invalidParameters, message: "parameter 3 (round) must be 0-\(WireLimits.clientRoundMax)")
            }
            let proposed = try await runtime.propose(instance: InstanceNumber(instance), value: try parameters.string(1),
                                                     minimumRound: UInt64(round))
            return .struct(XMLRPCStruct([
                ("instance", .int(Int(proposed.instance))), ("value", .string(proposed.chosen.text ?? "")),
                ("ours", .bool(proposed.ours)), ("noop", .bool(proposed.chosen == .noop)),
                ("node", .int(Int(runtime.member.id))),
            ]))
        }

        registry.register(
            "paxos.read",
            help: "read([from[, {consistency}]]): the applied instances, [{instance, value}], from instance `from` (default 1). consistency 'local' (the default) answers from this node at once and may miss what was chosen elsewhere; 'linearizable' first confirms with a majority, and waits until this node holds every value acknowledged before the read began.",
            signature: [["array"], ["array", "int"], ["array", "int", "struct"]], requires: client
        ) { parameters in
            try parameters.expectCount(0...2)
            let from = try parameters.optionalInt(0) ?? 1
            let consistency = try parameters.optionalStruct(1)?["consistency"].map { value throws(XMLRPCFault) -> String in
                guard case .string(let text) = value, ["local", "linearizable"].contains(text) else {
                    throw XMLRPCFault(code: XMLRPCFault.invalidParameters, message: "consistency must be 'local' or 'linearizable'")
                }
                return text
            } ?? "local"
            let start = InstanceNumber(max(from, 0))
            let entries: [FileEntry]
            do {
                entries = consistency == "linearizable" ? try await runtime.linearizableRead(from: start) : try await runtime.read(from: start)
                runtime.metrics.read(consistency)
            } catch {
                runtime.metrics.read(NodeMetrics.outcome(of: error))
                throw error
            }
            return .array(entries.map { .struct(XMLRPCStruct([("instance", .int(Int($0.instance))), ("value", .string($0.value))])) })
        }

        registry.register(
            "paxos.status",
            help: "status(): {node, address, applied, highestChosen, snapshotPoint, lines, file, dataDirectory, incarnation, era, pendingSubmits, activeProposals, leader, leading, ballotRound, fsyncP99Seconds, uptimeSeconds, voting, adminEnabled, members}.",
            signature: [["struct"]], requires: client
        ) { parameters in
            try parameters.expectCount(0)
            let status = await runtime.status()
            let members: [XMLRPCValue] = cluster.nodes.map {
                .struct(XMLRPCStruct([("node", .int(Int($0.id))), ("address", .string($0.address))]))
            }
            return .struct(XMLRPCStruct([
                ("node", .int(Int(status.node.rawValue))), ("address", .string(status.address)),
                ("applied", .int(Int(status.applied))), ("highestChosen", .int(Int(status.highestChosen))),
                ("snapshotPoint", .int(Int(status.snapshotPoint))),
                ("lines", .int(status.lines)), ("file", .string(status.file)),
                ("dataDirectory", .string(status.dataDirectory)), ("incarnation", .int(Int(status.incarnation))),
                ("era", .int(Int(status.era))), ("pendingSubmits", .int(status.pendingSubmits)),
                ("activeProposals", .int(status.activeProposals)),
                ("leader", .int(Int(status.leader.rawValue))), ("leading", .bool(status.leading)),
                ("ballotRound", .int(Int(clamping: status.ballotRound))),
                ("fsyncP99Seconds", .double(status.fsyncP99Seconds ?? 0)),
                ("uptimeSeconds", .double(status.uptimeSeconds)),
                ("voting", .bool(status.voting)),
                ("adminEnabled", .bool(adminEnabled)),
                ("members", .array(members)),
            ]))
        }

        // MARK: Peer method

        registry.register(
            "paxos.peer",
            help: "peer(from, era, messages[, {call, answered}]): protocol messages from another node (prepare, promise, accept, accepted, nack, learn, status, catch-up). Answers [from, era, messages] once the steps they made are durable: this node's messages to the caller, signed (X-Paxos-Signature of the answer).",
            signature: [["array", "int", "int", "array"], ["array", "int", "int", "array", "struct"]], requires: NodeAccessPolicy.Grant.peer
        ) { parameters in
            // The signature proved who sent the body; the body must say the same.
            let claimed = parameters.values.first?.intValue ?? 0
            guard parameters.caller.principal == ClusterPrincipal.node(UInt32(clamping: max(claimed, 0))).description else {
                throw access.refuse(parameters.caller.remoteAddress, "paxos.peer says it is from node \(claimed), but it is signed by \(parameters.caller.principal ?? "nobody")")
            }
            let call: PeerCall.Decoded
            do {
                call = try PeerCall.decode(parameters, members: cluster.members, valueBytesMax: runtime.options.valueBytesMax)
            } catch let error as XMLRPCFault {
                access.refusals.note(parameters.caller.remoteAddress, "a malformed or out-of-bounds paxos.peer call from node \(claimed): \(error.message)")
                throw error
            }
            let answer = await runtime.receiveAndAnswer(call)
            return .array(PeerCall.encode(from: runtime.member.nodeID, era: answer.era, messages: answer.messages))
        }

        registry.register(
            "paxos.snapshot",
            help: "snapshot(through, offset): a chunk of this node's snapshot for a peer behind its snapshot point: {through, totalBytes, offset, data (base64, at most 512 KiB)}. `through` 0 asks for the current point; a point no longer held is answered with the current one from offset 0.",
            signature: [["struct", "int", "int"]], requires: NodeAccessPolicy.Grant.peer
        ) { parameters in
            try parameters.expectCount(2)
            let through = try parameters.int(0), offset = try parameters.int(1)
            guard through >= 0, offset >= 0 else {
                throw XMLRPCFault(code: XMLRPCFault.invalidParameters, message: "through and offset must not be negative")
            }
            let snapshot = try await runtime.snapshotForPeer()
            let start = UInt64(through) == snapshot.instance ? offset : 0
            guard start <= snapshot.totalBytes else {
                throw XMLRPCFault(code: XMLRPCFault.invalidParameters, message: "offset \(offset) is past the snapshot's \(snapshot.totalBytes) bytes")
            }
            let data = try runtime.snapshots.readChunk(of: snapshot, offset: start, maxBytes: SnapshotFetch.chunkBytes)
            return .struct(XMLRPCStruct([
                ("through", .int(Int(snapshot.instance))), ("totalBytes", .int(snapshot.totalBytes)),
                ("offset", .int(start)), ("data", .base64(data)),
            ]))
        }

        AdminMethods.register(on: registry, runtime: runtime, adminEnabled: adminEnabled, resetCoordinator: resetCoordinator)
    }
}
