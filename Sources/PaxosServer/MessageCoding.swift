import PaxosCore
import XMLRPC

/// Peer messages as XML-RPC values: plain structs with readable member names, so that anyone
/// watching the wire (or a Python client) can read a Prepare as easily as the lecture's slides.
public enum MessageCoding {
    public struct DecodingError: Error, CustomStringConvertible {
        public var description: String
    }

    public static func encode(_ message: Message) -> XMLRPCValue {
        var s = XMLRPCStruct()
        switch message {
        case .prepare(let instance, let ballot):
            s["type"] = "prepare"; s["instance"] = .int(Int(instance)); s["ballot"] = encode(ballot)
        case .promise(let instance, let ballot, let accepted):
            s["type"] = "promise"; s["instance"] = .int(Int(instance)); s["ballot"] = encode(ballot)
            if let accepted {
                s["acceptedBallot"] = encode(accepted.ballot); s["acceptedCommand"] = encode(accepted.command)
            }
        case .accept(let instance, let ballot, let command, let chosen):
            s["type"] = "accept"; s["instance"] = .int(Int(instance)); s["ballot"] = encode(ballot); s["command"] = encode(command)
            if !chosen.isEmpty { s["chosen"] = .array(chosen.map { .int(Int($0)) }) }
        case .accepted(let instance, let ballot):
            s["type"] = "accepted"; s["instance"] = .int(Int(instance)); s["ballot"] = encode(ballot)
        case .nack(let instance, let ballot, let promised):
            s["type"] = "nack"; s["instance"] = .int(Int(instance)); s["ballot"] = encode(ballot); s["promised"] = encode(promised)
        case .learn(let instance, let command):
            s["type"] = "learn"; s["instance"] = .int(Int(instance)); s["command"] = encode(command)
        case .forward(let command):
            s["type"] = "forward"; s["command"] = encode(command)
        case .status(let applied, let accepted):
            s["type"] = "status"; s["applied"] = .int(Int(applied))
            if accepted > 0 { s["accepted"] = .int(Int(accepted)) }
        case .catchUpRequest(let from):
            s["type"] = "catchUpRequest"; s["from"] = .int(Int(from))
        case .catchUpReply(let entries):
            s["type"] = "catchUpReply"; s["entries"] = encode(entries)
        case .prepareFrom(let from, let ballot):
            s["type"] = "prepareFrom"; s["from"] = .int(Int(from)); s["ballot"] = encode(ballot)
        case .promiseFrom(let from, let ballot, let accepted, let chosen):
            s["type"] = "promiseFrom"; s["from"] = .int(Int(from)); s["ballot"] = encode(ballot)
            s["accepted"] = .array(accepted.map { entry in
                var e = XMLRPCStruct()
                e["instance"] = .int(Int(entry.instance)); e["ballot"] = encode(entry.proposal.ballot)
                e["command"] = encode(entry.proposal.command)
                return .struct(e)
            })
            s["chosen"] = encode(chosen)
        case .nackFrom(let from, let ballot, let promised):
            s["type"] = "nackFrom"; s["from"] = .int(Int(from)); s["ballot"] = encode(ballot); s["promised"] = encode(promised)
        case .readIndexRequest(let read):
            s["type"] = "readIndexRequest"; s["read"] = .int(Int(truncatingIfNeeded: read))
        case .readIndexReply(let read, let highest):
            s["type"] = "readIndexReply"; s["read"] = .int(Int(truncatingIfNeeded: read)); s["highest"] = .int(Int(highest))
        case .rejoinPrepare(let ballot):
            s["type"] = "rejoinPrepare"; s["ballot"] = encode(ballot)
        case .rejoinPromise(let ballot, let highest):
            s["type"] = "rejoinPromise"; s["ballot"] = encode(ballot); s["highest"] = .int(Int(highest))
        case .rejoinNack(let ballot, let round):
            s["type"] = "rejoinNack"; s["ballot"] = encode(ballot); s["round"] = .int(Int(round))
        case .snapshotOffer(let through):
            s["type"] = "snapshotOffer"; s["through"] = .int(Int(through))
        case .rejoinSynced:
            // A node's note to itself never leaves it (`NodeRuntime.deliver`); written for the
            // logs only. `decode` does not know it: from a peer it is an unknown type.
            s["type"] = "rejoinSynced"
        }
        return .struct(s)
    }

    public static func decode(_ value: XMLRPCValue) throws -> Message {
        guard case .struct(let s) = value, case .string(let type)? = s["type"] else {
            throw DecodingError(description: "a peer message must be a struct with a string member 'type'")
        }
        switch type {
        case "prepare":
            return .prepare(instance: try instance(s, "instance"), ballot: try ballot(s["ballot"]))
        case "promise":
            var accepted: AcceptedProposal? = nil
            if s["acceptedBallot"] != nil {
                accepted = AcceptedProposal(ballot: try ballot(s["acceptedBallot"]), command: try command(s["acceptedCommand"]))
            }
            return .promise(instance: try instance(s, "instance"), ballot: try ballot(s["ballot"]), accepted: accepted)
        case "accept":
            return .accept(instance: try instance(s, "instance"), ballot: try ballot(s["ballot"]), command: try command(s["command"]),
                           chosen: try instances(s, "chosen"))
        case "accepted":
            return .accepted(instance: try instance(s, "instance"), ballot: try ballot(s["ballot"]))
        case "nack":
            return .nack(instance: try instance(s, "instance"), ballot: try ballot(s["ballot"]), promised: try ballot(s["promised"]))
        case "learn":
            return .learn(instance: try instance(s, "instance"), command: try command(s["command"]))
        case "forward":
            return .forward(command: try command(s["command"]))
        case "status":
            // `accepted` is left out when 0 (and by nodes before stop 40).
            return .status(appliedThrough: try instance(s, "applied"),
                           acceptedThrough: s["accepted"] == nil ? 0 : try instance(s, "accepted"))
        case "catchUpRequest":
            return .catchUpRequest(from: try instance(s, "from"))
        case "catchUpReply":
            return .catchUpReply(entries: try chosenEntries(s, "entries"))
        case "prepareFrom":
            return .prepareFrom(from: try instance(s, "from"), ballot: try ballot(s["ballot"]))
        case "promiseFrom":
            guard case .array(let items)? = s["accepted"] else { throw DecodingError(description: "promiseFrom needs an array 'accepted'") }
            let accepted = try items.map { item in
                guard case .struct(let e) = item else { throw DecodingError(description: "an accepted entry must be a struct") }
                return AcceptedEntry(instance: try instance(e, "instance"),
                                     proposal: AcceptedProposal(ballot: try ballot(e["ballot"]), command: try command(e["command"])))
            }
            return .promiseFrom(from: try instance(s, "from"), ballot: try ballot(s["ballot"]), accepted: accepted,
                                chosen: try chosenEntries(s, "chosen"))
        case "nackFrom":
            return .nackFrom(from: try instance(s, "from"), ballot: try ballot(s["ballot"]), promised: try ballot(s["promised"]))
        case "readIndexRequest":
            return .readIndexRequest(read: try readID(s))
        case "readIndexReply":
            return .readIndexReply(read: try readID(s), highest: try instance(s, "highest"))
        case "rejoinPrepare":
            return .rejoinPrepare(ballot: try ballot(s["ballot"]))
        case "rejoinPromise":
            return .rejoinPromise(ballot: try ballot(s["ballot"]), highestInstance: try instance(s, "highest"))
        case "rejoinNack":
            return .rejoinNack(ballot: try ballot(s["ballot"]), round: try unsigned(s, "round"))
        case "snapshotOffer":
            return .snapshotOffer(through: try instance(s, "through"))
        default:
            throw DecodingError(description: "unknown peer message type '\(type)'")
        }
    }

    static func encode(_ ballot: Ballot) -> XMLRPCValue {
        var s = XMLRPCStruct()
        s["round"] = .int(Int(ballot.round)); s["node"] = .int(Int(ballot.node.rawValue))
        return .struct(s)
    }

    static func encode(_ command: Command) -> XMLRPCValue {
        var s = XMLRPCStruct()
        switch command {
        case .noop:
            s["noop"] = .bool(true)
        case .value(let id, let text):
            s["node"] = .int(Int(id.node.rawValue)); s["incarnation"] = .int(Int(id.incarnation))
            s["sequence"] = .int(Int(id.sequence)); s["value"] = .string(text)
        }
        return .struct(s)
    }

    static func encode(_ entries: [ChosenEntry]) -> XMLRPCValue {
        .array(entries.map { entry in
            var e = XMLRPCStruct()
            e["instance"] = .int(Int(entry.instance)); e["command"] = encode(entry.command)
            return .struct(e)
        })
    }

    private static func chosenEntries(_ s: XMLRPCStruct, _ name: String) throws -> [ChosenEntry] {
        guard case .array(let items)? = s[name] else { throw DecodingError(description: "member '\(name)' must be an array of chosen entries") }
        return try items.map { item in
            guard case .struct(let e) = item else { throw DecodingError(description: "a chosen entry must be a struct") }
            return ChosenEntry(instance: try instance(e, "instance"), command: try command(e["command"]))
        }
    }

    /// An optional array of instance numbers (absent means empty).
    static func instances(_ s: XMLRPCStruct, _ name: String) throws -> [InstanceNumber] {
        guard let value = s[name] else { return [] }
        guard case .array(let items) = value else { throw DecodingError(description: "member '\(name)' must be an array of instance numbers") }
        return try items.map { item in
            guard case .int(let n) = item, n >= 1 else { throw DecodingError(description: "member '\(name)' must hold instance numbers (ints >= 1)") }
            return InstanceNumber(n)
        }
    }

    static func ballot(_ value: XMLRPCValue?) throws -> Ballot {
        guard case .struct(let s)? = value else { throw DecodingError(description: "a ballot must be a struct {round, node}") }
        return Ballot(round: try unsigned(s, "round"), node: NodeID(UInt32(try unsigned(s, "node", max: UInt64(UInt32.max)))))
    }

    static func command(_ value: XMLRPCValue?) throws -> Command {
        guard case .struct(let s)? = value else { throw DecodingError(description: "a command must be a struct") }
        if case .bool(true)? = s["noop"] { return .noop }
        guard case .string(let text)? = s["value"] else { throw DecodingError(description: "a command needs a string 'value'") }
        let id = CommandID(node: NodeID(UInt32(try unsigned(s, "node", max: UInt64(UInt32.max)))),
                           incarnation: try unsigned(s, "incarnation"), sequence: try unsigned(s, "sequence"))
        return .value(id, text)
    }

    /// A read's number at the node that asks: opaque to everyone else, any 64-bit pattern.
    private static func readID(_ s: XMLRPCStruct) throws -> UInt64 {
        guard case .int(let n)? = s["read"] else { throw DecodingError(description: "member 'read' must be an int") }
        return UInt64(bitPattern: Int64(n))
    }

    private static func instance(_ s: XMLRPCStruct, _ name: String) throws -> InstanceNumber {
        try unsigned(s, name)
    }

    static func unsigned(_ s: XMLRPCStruct, _ name: String, max: UInt64 = UInt64(Int.max)) throws -> UInt64 {
        guard case .int(let n)? = s[name], n >= 0, UInt64(n) <= max else {
            throw DecodingError(description: "member '\(name)' must be a non-negative int")
        }
        return UInt64(n)
    }
}
