import PaxosCore
import PaxosServer
import Testing
import XMLRPC

/// The rebuilt node's messages on the wire (`Rejoin`): they round-trip, and hostile numbers are
/// refused by the decoder or by `WireLimits` before the core sees them.
@Suite struct RejoinMessageCodingTests {
    static let members = [NodeID(1), NodeID(2), NodeID(3)]
    static let fence = Ballot(round: 1_764_140_000_000_001, node: NodeID(3))

    @Test(arguments: [
        Message.rejoinPrepare(ballot: fence),
        .rejoinPromise(ballot: fence, highestInstance: 0),
        .rejoinPromise(ballot: fence, highestInstance: 42),
        .rejoinNack(ballot: fence, round: 1_764_140_000_000_099),
    ])
    func roundTrips(message: Message) throws {
        #expect(try MessageCoding.decode(MessageCoding.encode(message)) == message)
        #expect(WireLimits.violation(of: message, members: Self.members) == nil)
    }

    @Test("negative numbers, missing members and wrong types are refused by the decoder")
    func hostileShapes() {
        func ballot(_ round: Int, _ node: Int) -> XMLRPCValue {
            var s = XMLRPCStruct(); s["round"] = .int(round); s["node"] = .int(node); return .struct(s)
        }
        var negativeRound = XMLRPCStruct(); negativeRound["type"] = "rejoinPrepare"; negativeRound["ballot"] = ballot(-1, 3)
        var noBallot = XMLRPCStruct(); noBallot["type"] = "rejoinPromise"; noBallot["highest"] = .int(3)
        var negativeHighest = XMLRPCStruct(); negativeHighest["type"] = "rejoinPromise"
        negativeHighest["ballot"] = ballot(5, 3); negativeHighest["highest"] = .int(-4)
        var roundAsString = XMLRPCStruct(); roundAsString["type"] = "rejoinNack"
        roundAsString["ballot"] = ballot(5, 3); roundAsString["round"] = .string("9")
        for hostile in [negativeRound, noBallot, negativeHighest, roundAsString] {
            #expect(throws: MessageCoding.DecodingError.self) { try MessageCoding.decode(.struct(hostile)) }
        }
    }

    @Test("a node's note to itself (rejoinSynced) is refused from a peer: unknown to the decoder and to WireLimits")
    func noteToItselfNeverComesFromAPeer() {
        var forged = XMLRPCStruct(); forged["type"] = "rejoinSynced"
        #expect(throws: MessageCoding.DecodingError.self) { try MessageCoding.decode(.struct(forged)) }
        #expect(WireLimits.violation(of: .rejoinSynced, members: Self.members) != nil)
    }

    @Test("a ballot naming a non-member, or a round or instance above the limits, is refused before the core")
    func limits() {
        let stranger = Ballot(round: 5, node: NodeID(9))
        let huge = Ballot(round: WireLimits.roundMax + 1, node: NodeID(3))
        for message: Message in [
            .rejoinPrepare(ballot: stranger), .rejoinPrepare(ballot: huge),
            .rejoinPromise(ballot: Self.fence, highestInstance: WireLimits.instanceMax + 1),
            .rejoinNack(ballot: Self.fence, round: WireLimits.roundMax + 1),
        ] {
            #expect(WireLimits.violation(of: message, members: Self.members) != nil, "\(message)")
        }
    }
}
