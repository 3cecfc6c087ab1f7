import PaxosCore
import PaxosServer
import PaxosStorage
import XMLRPC

/// One fuzz input, read as a `paxos.peer` call that has passed authentication (what a member,
/// or a bug in one, could send): whatever its bytes, the node must refuse it with a fault or
/// take every message without trapping, and everything the core does in answer must still fit
/// the wire and the log (its messages encode, its records encode). A trap anywhere here is a
/// node that one call could stop for good.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let members = [NodeID(1), NodeID(2), NodeID(3)]
    guard let call = try? XMLRPCCodec.decodeCall(UnsafeBufferPointer(start: data, count: size)),
          let decoded = try? PeerCall.decode(XMLRPCParameters(call.parameters, methodName: call.methodName),
                                             members: members, valueBytesMax: ValueRules.valueBytesMaxDefault)
    else { return 0 }

    let configuration = PaxosConfiguration.live(node: NodeID(1), members: members, phaseTimeoutMilliseconds: 300,
                                                heartbeatMilliseconds: 200, backoff: .none, randomSeed: 1)
    var node = PaxosNode(configuration: configuration)
    check(node.onStart())
    // A proposer and a pending submit, so that promises, nacks and accepteds have someone to reach.
    check(node.onSubmit(request: 1, value: "fuzz"))
    for message in decoded.messages {
        let ready = node.onMessage(from: decoded.from, message)
        check(ready)
        // Time passes: every timer the step set fires at once.
        for case .set(let timer, _) in ready.timers { check(node.onTimer(timer)) }
    }
    check(node.onDeadline(request: 1))
    return 0
}

private func check(_ ready: Ready) {
    for envelope in ready.messages { _ = MessageCoding.encode(envelope.message) }
    for record in ready.persist { _ = RecordCodec.encode(record) }
}
