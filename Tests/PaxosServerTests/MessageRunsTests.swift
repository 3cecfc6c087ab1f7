import Foundation
import PaxosCore
import PaxosServer
import Testing
import XMLRPC

/// Runs of Accepts and Accepteds travel as one struct each (`MessageRuns`): through the real
/// XML bytes, the receiver gets exactly the messages sent, in order; a hostile run is refused
/// before the core sees any of it.
@Suite struct MessageRunsTests {
    static let members = [NodeID(1), NodeID(2), NodeID(3)]
    static let ballot = Ballot(round: 7, node: NodeID(1))

    static func command(_ sequence: UInt64) -> Command {
        .value(CommandID(node: NodeID(2), incarnation: 3, sequence: sequence), "value \(sequence)")
    }

    /// Encoded to the bytes of a methodCall, decoded from them, as between two nodes.
    static func overTheWire(_ messages: [Message]) throws -> [Message] {
        let call = XMLRPCMethodCall(methodName: "paxos.peer", parameters: PeerCall.encode(from: NodeID(1), era: 0, messages: messages))
        let decoded = try XMLRPCCodec.decodeCall(XMLRPCCodec.encodeCall(call))
        return try PeerCall.decode(XMLRPCParameters(decoded.parameters), members: members, valueBytesMax: 1 << 20).messages
    }

    static func wireStructs(_ messages: [Message]) -> [XMLRPCStruct] {
        guard case .array(let items) = PeerCall.encode(from: NodeID(1), era: 0, messages: messages)[2] else { return [] }
        return items.compactMap { if case .struct(let s) = $0 { s } else { nil } }
    }

    @Test func runsOfAcceptsAndAcceptedsComeBackExactlyAndTravelAsOneStructEach() throws {
        let other = Ballot(round: 8, node: NodeID(2))
        var messages: [Message] = (10...14).map {
            .accept(instance: $0, ballot: Self.ballot, command: Self.command($0), chosen: $0 == 10 ? [7, 8, 9] : $0 == 13 ? [10] : [])
        }
        messages.append(.accept(instance: 16, ballot: Self.ballot, command: .noop, chosen: []))  // a gap: a message alone
        messages.append(.status(appliedThrough: 9))
        messages += (20...25).map { .accepted(instance: $0, ballot: Self.ballot) }
        messages += (26...27).map { .accepted(instance: $0, ballot: other) }  // another ballot: another run
        messages.append(.accepted(instance: 30, ballot: other))
        #expect(try Self.overTheWire(messages) == messages)
        let types = Self.wireStructs(messages).map { s -> String in if case .string(let t)? = s["type"] { t } else { "?" } }
        #expect(types == ["acceptRange", "accept", "status", "acceptedRange", "acceptedRange", "accepted"])
    }

    @Test func randomSequencesRoundTrip() throws {
        var random = SplitMix64(seed: 2026)
        for _ in 0..<200 {
            var messages: [Message] = []
            var instance: UInt64 = 1 + random.next() % 1000
            for _ in 0..<(1 + Int(random.next() % 40)) {
                instance += random.next() % 4 == 0 ? 2 : 1
                let ballot = Ballot(round: 1 + random.next() % 2, node: NodeID(1 + UInt32(random.next() % 3)))
                switch random.next() % 3 {
                case 0: messages.append(.accept(instance: instance, ballot: ballot, command: Self.command(instance),
                                                chosen: random.next() % 3 == 0 ? [instance - 1] : []))
                case 1: messages.append(.accepted(instance: instance, ballot: ballot))
                default: messages.append(.nack(instance: instance, ballot: ballot, promised: ballot))
                }
            }
            #expect(try Self.overTheWire(messages) == messages)
        }
    }

    /// Python's standard library reads a run as any other XML-RPC struct: the wire stays readable.
    @Test func pythonReadsARun() async throws {
        let messages: [Message] = (5...7).map { .accepted(instance: $0, ballot: Self.ballot) }
        let call = XMLRPCMethodCall(methodName: "paxos.peer", parameters: PeerCall.encode(from: NodeID(2), era: 0, messages: messages))
        let body = String(decoding: XMLRPCCodec.encodeCall(call), as: UTF8.self)
        let (status, output) = try await runPython("""
            import sys, xmlrpc.client
            params, method = xmlrpc.client.loads(sys.argv[1])
            run = params[2][0]
            print(method, run["type"], run["from"], run["through"], run["ballot"]["round"], run["ballot"]["node"])
            """, arguments: [body])
        #expect(status == 0, "\(output)")
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "paxos.peer acceptedRange 5 7 7 1")
    }

    @Test("hostile runs are refused with invalid parameters, before the core")
    func hostileRuns() throws {
        func ballot() -> XMLRPCValue { MessageCodingProbe.ballot(Self.ballot) }
        func accepted(from: Int, through: Int) -> XMLRPCValue {
            var s = XMLRPCStruct(); s["type"] = "acceptedRange"; s["from"] = .int(from); s["through"] = .int(through); s["ballot"] = ballot()
            return .struct(s)
        }
        func accept(from: Int, commands: [XMLRPCValue], chosen: XMLRPCValue? = nil) -> XMLRPCValue {
            var s = XMLRPCStruct(); s["type"] = "acceptRange"; s["from"] = .int(from); s["ballot"] = ballot()
            s["commands"] = .array(commands)
            if let chosen { s["chosen"] = chosen }
            return .struct(s)
        }
        let command = MessageCodingProbe.command(Self.command(1))
        func at(_ position: Int) -> XMLRPCValue {
            var e = XMLRPCStruct(); e["at"] = .int(position); e["instances"] = .array([.int(3)]); return .struct(e)
        }
        let hostile: [XMLRPCValue] = [
            accepted(from: 10, through: 9),  // backwards
            accepted(from: 1, through: Int.max),  // more than a call may hold
            accepted(from: -3, through: 2),
            accept(from: 5, commands: []),
            accept(from: Int.max, commands: [command, command]),  // instances past the largest int
            accept(from: 5, commands: [command], chosen: .array([at(1)])),  // outside the run
            accept(from: 5, commands: [command, command], chosen: .array([at(0), at(0)])),  // repeated
            accept(from: 5, commands: Array(repeating: command, count: WireLimits.messagesPerCallMax + 1)),
            accept(from: 5, commands: [.string("not a command"), command]),
            accept(from: Int(WireLimits.instanceMax), commands: [command, command]),  // past the instance limit
        ]
        for run in hostile {
            Self.expectRefused(XMLRPCParameters([.int(2), .int(0), .array([run])]))
        }
        // Runs count against the call's limit together with the messages beside them.
        let half = WireLimits.messagesPerCallMax / 2
        let tooMany = XMLRPCParameters([.int(2), .int(0), .array([accepted(from: 1, through: half), accepted(from: half + 1, through: 2 * half + 1)])])
        Self.expectRefused(tooMany)
        // A run that fills the call, then a message alone, then another run: refused (once it
        // made the room left negative, and the decoder trapped).
        var status = XMLRPCStruct(); status["type"] = "status"; status["applied"] = .int(1)
        let full = WireLimits.messagesPerCallMax
        let overfull = XMLRPCParameters([.int(2), .int(0), .array([accepted(from: 1, through: full), .struct(status), accepted(from: full + 1, through: full + 2)])])
        Self.expectRefused(overfull)
        let fullThenOne = XMLRPCParameters([.int(2), .int(0), .array([accepted(from: 1, through: full), .struct(status)])])
        Self.expectRefused(fullThenOne)
    }

    /// The call is refused as invalid parameters (-32602), the fault a peer gets for it.
    static func expectRefused(_ parameters: XMLRPCParameters, sourceLocation: SourceLocation = #_sourceLocation) {
        let fault = #expect(throws: XMLRPCFault.self, sourceLocation: sourceLocation) {
            _ = try PeerCall.decode(parameters, members: members, valueBytesMax: 1 << 20)
        }
        #expect(fault?.code == XMLRPCFault.invalidParameters, sourceLocation: sourceLocation)
    }
}

/// The wire form of a ballot and a command, as a peer would write them (through a one-message call).
enum MessageCodingProbe {
    static func ballot(_ ballot: Ballot) -> XMLRPCValue {
        guard case .struct(let s) = MessageCoding.encode(.prepare(instance: 1, ballot: ballot)) else { return .nil }
        return s["ballot"]!
    }

    static func command(_ command: Command) -> XMLRPCValue {
        guard case .struct(let s) = MessageCoding.encode(.forward(command: command)) else { return .nil }
        return s["command"]!
    }
}
