import PaxosCore
import XMLRPC

/// The parameters of `paxos.peer(from, era, messages)`, the one call nodes make to each other:
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
    }

    public static func encode(from: NodeID, era: UInt64, messages: [Message]) -> [XMLRPCValue] {
        [.int(Int(from.rawValue)), .int(Int(era)), .array(MessageRuns.encode(messages))]
    }

    public static func decode(_ parameters: XMLRPCParameters, members: [NodeID], valueBytesMax: Int) throws(XMLRPCFault) -> Decoded {
        try parameters.expectCount(3)
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
        return Decoded(from: NodeID(UInt32(from)), era: UInt64(era), messages: messages)
    }

    private static func invalid(_ message: String) -> XMLRPCFault {
        XMLRPCFault(code: XMLRPCFault.invalidParameters, message: message)
    }
}
