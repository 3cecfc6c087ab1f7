import PaxosCore
import XMLRPC

/// The admin methods of a node: the lab's restart, fault injection, timing and observation.
/// They answer only where admin is enabled (`paxos cluster`, or `paxos node --enable-admin`);
/// elsewhere every one of them is fault 5.
enum AdminMethods {
    static func register(on registry: XMLRPCMethodRegistry, runtime: NodeRuntime, adminEnabled: Bool,
                         resetCoordinator: ResetCoordinator) {

        let admin = NodeAccessPolicy.Grant.admin

        @Sendable func requireAdmin() throws {
            guard adminEnabled else {
                throw ApplicationFault.adminDisabled.fault("admin methods are disabled on this node (start it with --enable-admin, or use `paxos cluster`)")
            }
        }

        registry.register(
            "admin.reset",
            help: "reset(): the seed's restart. Every node back to an empty log and an empty file; the next submit gets instance 1. Returns {era, nodes: [{node, ok, error}]}.",
            signature: [["struct"]], requires: admin
        ) { parameters in
            try requireAdmin()
            try parameters.expectCount(0)
            return try await resetCoordinator.resetCluster()
        }

        registry.register(
            "admin.resetLocal",
            help: "resetLocal(era): empty this node only and move it to `era` (admin.reset calls it on every node).",
            signature: [["boolean", "int"]], requires: admin
        ) { parameters in
            try requireAdmin()
            try parameters.expectCount(1)
            let era = try parameters.int(0)
            guard era >= 0, UInt64(era) <= WireLimits.eraMax else {
                throw XMLRPCFault(code: XMLRPCFault.invalidParameters, message: "the era must be 0-\(WireLimits.eraMax)")
            }
            try await runtime.resetLocal(era: UInt64(era))
            return .bool(true)
        }

        registry.register(
            "admin.faultAdd",
            help: "faultAdd(action, filter): drop or hold this node's outgoing messages matching filter {to, type, instance} (all optional). action is 'drop' or 'hold'. Returns the rule id.",
            signature: [["int", "string", "struct"]], requires: admin
        ) { parameters in
            try requireAdmin()
            try parameters.expectCount(1...2)
            let action = try parameters.string(0)
            let filter = try parameters.optionalStruct(1) ?? XMLRPCStruct()
            func intMember(_ name: String) throws -> Int? {
                guard let value = filter[name] else { return nil }
                guard case .int(let n) = value, n >= 0 else {
                    throw XMLRPCFault(code: XMLRPCFault.invalidParameters, message: "filter member '\(name)' must be a non-negative int")
                }
                return n
            }
            var type: String? = nil
            if let value = filter["type"] {
                guard case .string(let text) = value else {
                    throw XMLRPCFault(code: XMLRPCFault.invalidParameters, message: "filter member 'type' must be a string")
                }
                type = text
            }
            let to = try intMember("to").map { NodeID(UInt32(clamping: $0)) }
            let instance = try intMember("instance").map { InstanceNumber($0) }
            return .int(try await runtime.addFaultRule(action: action, to: to, type: type, instance: instance))
        }

        registry.register(
            "admin.faultRelease",
            help: "faultRelease(rule[, remove]): send what rule `rule` held (0 = every rule); with remove=true the rule goes too. Returns how many messages were released.",
            signature: [["int", "int"], ["int", "int", "boolean"]], requires: admin
        ) { parameters in
            try requireAdmin()
            try parameters.expectCount(1...2)
            let rule = try parameters.int(0)
            let remove = try parameters.optionalBool(1) ?? true
            return .int(await runtime.releaseFaultRule(rule == 0 ? nil : rule, remove: remove))
        }

        registry.register(
            "admin.faultClear",
            help: "faultClear(): remove every fault rule of this node and throw away what they held.",
            signature: [["boolean"]], requires: admin
        ) { parameters in
            try requireAdmin()
            try parameters.expectCount(0)
            await runtime.clearFaults()
            return .bool(true)
        }

        registry.register(
            "admin.faultStatus",
            help: "faultStatus(): this node's fault rules, [{rule, action, to, type, instance, held}] (0 or '' where a filter member is unset).",
            signature: [["array"]], requires: admin
        ) { parameters in
            try requireAdmin()
            try parameters.expectCount(0)
            return .array(await runtime.faultRules().map { rule, held in
                .struct(XMLRPCStruct([
                    ("rule", .int(rule.id)), ("action", .string(rule.action.rawValue)),
                    ("to", .int(Int(rule.to?.rawValue ?? 0))), ("type", .string(rule.type ?? "")),
                    ("instance", .int(Int(rule.instance ?? 0))), ("held", .int(held)),
                ]))
            })
        }

        registry.register(
            "admin.setTiming",
            help: "setTiming(backoff[, phaseTimeoutMs]): backoff 'randomized' (the default: exponential with jitter) or 'none' (retry at once, as in the lecture's livelock); the proposer's phase timeout (default: the node's).",
            signature: [["boolean", "string"], ["boolean", "string", "int"]], requires: admin
        ) { parameters in
            try requireAdmin()
            try parameters.expectCount(1...2)
            let backoff: PaxosConfiguration.Backoff
            switch try parameters.string(0) {
            case "none": backoff = .none
            case "randomized": backoff = runtime.options.backoff
            default: throw XMLRPCFault(code: XMLRPCFault.invalidParameters, message: "backoff must be 'none' or 'randomized'")
            }
            let timeout = try parameters.optionalInt(1) ?? Int(runtime.options.phaseTimeoutMilliseconds)
            guard (10...600_000).contains(timeout) else {
                throw XMLRPCFault(code: XMLRPCFault.invalidParameters, message: "phaseTimeoutMs must be 10-600000")
            }
            await runtime.setTiming(backoff: backoff, phaseTimeoutMilliseconds: UInt64(timeout))
            return .bool(true)
        }

        registry.register(
            "admin.events",
            help: "events(after): what this node observed after sequence number `after`: [{sequence, time (ns since 1970, as a string), kind: 'step'|'message', text, from, to, type, instance, label}].",
            signature: [["array", "int"]], requires: admin
        ) { parameters in
            try requireAdmin()
            try parameters.expectCount(1)
            let after = UInt64(max(try parameters.int(0), 0))
            let me = Int(runtime.member.id)
            return .array(await runtime.observations(after: after).map { observation in
                var s = XMLRPCStruct()
                s["sequence"] = .int(Int(observation.sequence))
                s["time"] = .string(String(observation.timeNanoseconds))
                switch observation.kind {
                case .step(let event):
                    s["kind"] = "step"; s["text"] = .string(event.description); s["instance"] = .int(Int(event.instance))
                    s["step"] = .int(event.protocolStep); s["type"] = .string(event.kind)
                    s["from"] = .int(me); s["to"] = .int(me)
                case .delivered(let from, let message):
                    s["kind"] = "message"; s["text"] = .string(message.label); s["label"] = .string(message.label)
                    s["type"] = .string(message.kind); s["instance"] = .int(Int(message.instance ?? 0))
                    s["from"] = .int(Int(from.rawValue)); s["to"] = .int(me)
                }
                return .struct(s)
            })
        }

        registry.register(
            "admin.acceptorState",
            help: "acceptorState(instance): this node's acceptor for one instance: {promised, accepted, value, chosen}.",
            signature: [["struct", "int"]], requires: admin
        ) { parameters in
            try requireAdmin()
            try parameters.expectCount(1)
            let instance = InstanceNumber(max(try parameters.int(0), 0))
            let state = await runtime.acceptorState(instance)
            let chosen = await runtime.chosenCommand(instance)
            var answer = XMLRPCStruct()
            answer["promised"] = .string(state?.promised.description ?? (chosen == nil ? "0.0" : "-"))
            answer["accepted"] = .string(state?.accepted?.ballot.description ?? "")
            answer["value"] = .string(state?.accepted?.command.text ?? "")
            answer["chosen"] = chosen.map { .string($0.text ?? "") } ?? .bool(false)
            return .struct(answer)
        }
    }
}
