import PaxosCore
import PaxosServer
import Testing
import XMLRPC

/// A heartbeat's status on the wire, with the highest instance its sender accepted a value in
/// (stop 40): it round-trips, a status without `accepted` (a node before stop 40, or nothing
/// accepted) means 0, and hostile numbers are refused by the decoder or by `WireLimits`.
@Suite struct StatusMessageCodingTests {
    static let members = [NodeID(1), NodeID(2), NodeID(3)]

    @Test(arguments: [
        Message.status(appliedThrough: 0, acceptedThrough: 0),
        .status(appliedThrough: 9, acceptedThrough: 0),
        .status(appliedThrough: 9, acceptedThrough: 11),
        .status(appliedThrough: 0, acceptedThrough: WireLimits.instanceMax),
    ])
    func roundTrips(message: Message) throws {
        #expect(try MessageCoding.decode(MessageCoding.encode(message)) == message)
        #expect(WireLimits.violation(of: message, members: Self.members) == nil)
    }

    @Test("`accepted` is left off the wire when 0, and a status without it decodes as 0")
    func acceptedIsOptional() throws {
        guard case .struct(let encoded) = MessageCoding.encode(.status(appliedThrough: 4)) else {
            Issue.record("a message encodes as a struct"); return
        }
        #expect(encoded["accepted"] == nil)
        var older = XMLRPCStruct(); older["type"] = "status"; older["applied"] = .int(4)
        #expect(try MessageCoding.decode(.struct(older)) == .status(appliedThrough: 4, acceptedThrough: 0))
    }

    @Test("a negative or non-integer `accepted` is refused by the decoder; one above the instance limit by WireLimits")
    func hostileAccepted() {
        var negative = XMLRPCStruct(); negative["type"] = "status"; negative["applied"] = .int(1); negative["accepted"] = .int(-1)
        var text = XMLRPCStruct(); text["type"] = "status"; text["applied"] = .int(1); text["accepted"] = .string("7")
        for hostile in [negative, text] {
            #expect(throws: MessageCoding.DecodingError.self) { try MessageCoding.decode(.struct(hostile)) }
        }
        #expect(WireLimits.violation(of: .status(appliedThrough: 1, acceptedThrough: WireLimits.instanceMax + 1),
                                     members: Self.members) != nil)
    }
}
