import PaxosCore
import XMLRPC

/// The parameters of `paxos.peer(from, era, messages[, {call, answered}])`, the one call nodes
/// make to each other, and of its answer `[from, era, messages]`:
/// built by `PeerLink`, checked and decoded by the node that receives it (and by the peer
/// fuzzer, which feeds what comes out to a real core).
///
/// Decoding checks the shape of every message, then every number against `WireLimits`, before
/// any of the batch reaches the core. Who sent the call is not decided here: the signature was
/// checked before the body was decoded, and the node compares `from` with it.
public enum PeerCall {
    public struct Decoded: Sendable {
        public var from: NodeID
        public var era: UInt64
        public var messages: [Message]
        /// The caller's number for this call, and the number of the receiver's call whose answer
        /// last carried the caller's messages (`PeerQueue.mayTakeCall`); 0 when not given.
        public var call = 0
        public var answered = 0
    }

    /// A call's parameters, with its order (`call`, `answered`) when either is known; an answer's
    /// (`[from, era, messages]`) without.
    public static func encode(from: NodeID, era: UInt64, messages: [Message], call: Int = 0, answered: Int = 0) -> [XMLRPCValue] {
        var parameters: [XMLRPCValue] = [.int(Int(from.rawValue)), .int(Int(era)), .array(MessageRuns.encode(messages))]
        if call != 0 || answered != 0 {
            parameters.append(.struct(XMLRPCStruct([("call", .int(call)), ("answered", .int(answered))])))
        }
        return parameters
    }

    public static func decode(_ parameters: XMLRPCParameters, members: [NodeID], valueBytesMax: Int) throws(XMLRPCFault) -> Decoded {
        try parameters.expectCount(3...4)
        var order: (call: Int, answered: Int) = (0, 0)
        if let fields = try parameters.optionalStruct(3) {
            for (name, keyPath) in [("call", \(call: Int, answered: Int).call), ("answered", \.answered)] {
                guard let value = fields[name] else { continue }
                guard let number = value.intValue, number >= 0, number < PeerQueue.callNumberLimit else {
                    throw invalid("parameter 4's \(name) must be a call number, 0-\(PeerQueue.callNumberLimit - 1)")
                }
                order[keyPath: keyPath] = number
            }
        }
        let from = try parameters.int(0)
        let era = try parameters.int(1)
        guard from >= 1, from <= Int(UInt32.max), members.contains(NodeID(UInt32(from))) else {
            throw invalid("parameter 1 must be a member's node id, got \(from)")
        }
        guard era >= 0, UInt64(era) <= WireLimits.eraMax else {
            throw invalid("parameter 2 must be an era, 0-\(WireLimits.eraMax), got \(era)")
        }
        let items = try parameters.array(2)
        guard items.count <= WireLimits.messagesPerCallMax else {
            throw invalid("\(items.count) messages in one call; the limit is \(WireLimits.messagesPerCallMax)")
        }
        var messages: [Message] = []
        messages.reserveCapacity(items.count)
        for item in items {
            // A run (`MessageRuns`) stands for several messages; all of them count against the
            // call's limit, with the messages beside them.
            let room = WireLimits.messagesPerCallMax - messages.count
            guard room > 0 else {
                throw invalid("more than \(WireLimits.messagesPerCallMax) messages in one call, counting those of its runs")
            }
            let decoded: [Message]
            do {
                decoded = MessageRuns.isRun(item)
                    ? try MessageRuns.expand(item, limit: room)
                    : [try MessageCoding.decode(item)]
            } catch let error as MessageCoding.DecodingError {
                throw invalid(error.description)
            } catch {
                throw invalid("\(error)")
            }
            for message in decoded {
                if let violation = WireLimits.violation(of: message, members: members, valueBytesMax: valueBytesMax) {
                    throw invalid("message out of bounds: \(violation)")
                }
                messages.append(message)
            }
        }
        return Decoded(from: NodeID(UInt32(from)), era: UInt64(era), messages: messages, call: order.call, answered: order.answered)
    }

    /// The answer to a `paxos.peer` call: `[from, era, messages]`, the answering node's messages
    /// to the caller, checked as a call's are and required to come from the node called.
    public static func decodeAnswer(_ answer: XMLRPCValue, from expected: NodeID, members: [NodeID],
                                    valueBytesMax: Int) throws(XMLRPCFault) -> Decoded {
        guard case .array(let values) = answer else { throw invalid("the answer to paxos.peer must be an array [from, era, messages]") }
        let decoded = try decode(XMLRPCParameters(values), members: members, valueBytesMax: valueBytesMax)
        guard decoded.from == expected else { throw invalid("an answer from node \(expected) says it is from node \(decoded.from)") }
        return decoded
    }

    private static func invalid(_ message: String) -> XMLRPCFault {
        XMLRPCFault(code: XMLRPCFault.invalidParameters, message: message)
    }
}
