import PaxosCore
import XMLRPC

/// The operator's and the lab's levers: the reset behind "restart", fault rules on outgoing
/// messages, and the proposers' timing.
extension NodeRuntime {
    // MARK: - Reset (the lab's "restart")

    /// Empties this node: log (keeping the incarnation, so command ids stay unique), file, and
    /// state; every waiting client is told. Afterwards the node lives in `newEra`.
    public func resetLocal(era newEra: UInt64) async throws {
        try checkServing()
        clearAlarms()
        for continuation in waiters.values {
            continuation.resume(returning: .failure(ApplicationFault.resetDuringRequest.fault("the cluster was reset while this request waited")))
        }
        waiters.removeAll()
        pipeline.removeAll()
        for peer in peers.values { peer.clear() }
        resumeAnswerWaiters()
        faults.clear()
        let incarnation = core.incarnation
        try commitLog.reset(keepingIncarnation: incarnation)
        try file.reset()
        historyEpoch += 1
        snapshotMetadata = []
        servedSnapshot = nil
        try snapshots.removeSnapshots(olderThan: .max)
        try eraStore.write(newEra)
        era = newEra
        for peer in peers.values { peer.setEra(newEra) }
        var recovered = DurableState()
        recovered.incarnation = incarnation
        core = PaxosNode(configuration: coreConfiguration, recovered: recovered)
        observations.removeAll()
        step { $0.onStart() }
        logger.notice("node reset", metadata: ["era": "\(newEra)"])
    }

    // MARK: - Fault injection (admin)

    public func addFaultRule(action: String, to: NodeID?, type: String?, instance: InstanceNumber?) throws -> Int {
        guard let action = FaultInjector.Action(rawValue: action) else {
            throw XMLRPCFault(code: XMLRPCFault.invalidParameters, message: "action must be one of: drop, hold")
        }
        if let type, !Self.messageKinds.contains(type) {
            throw XMLRPCFault(code: XMLRPCFault.invalidParameters, message: "type must be one of: \(Self.messageKinds.joined(separator: ", "))")
        }
        guard let id = faults.add(action: action, to: to, type: type, instance: instance) else {
            throw XMLRPCFault(code: XMLRPCFault.invalidParameters, message: "too many fault rules (at most \(FaultInjector.rulesMax))")
        }
        return id
    }

    /// Sends what the rule held (without removing it); with `remove`, the rule goes too. Returns how many were released.
    public func releaseFaultRule(_ id: Int?, remove: Bool) -> Int {
        let released = remove ? faults.remove(rule: id) : faults.release(rule: id)
        deliver(released)
        drain()
        return released.count
    }

    public var heldMessages: Int { faults.held.count }

    /// Every rule with how many messages it holds now.
    public func faultRules() -> [(rule: FaultInjector.Rule, held: Int)] {
        faults.rules.map { rule in (rule, faults.held.filter { $0.rule == rule.id }.count) }
    }

    /// Removes every rule and throws away what they held.
    public func clearFaults() {
        faults.clear()
    }

    /// The lecture's livelock needs proposers that retry at once; everything else wants backoff.
    public func setTiming(backoff: PaxosConfiguration.Backoff, phaseTimeoutMilliseconds: UInt64) {
        core.setTiming(backoff: backoff, phaseTimeoutMilliseconds: phaseTimeoutMilliseconds)
    }

    static let messageKinds = ["prepare", "promise", "accept", "accepted", "nack", "learn", "forward", "status", "catchUpRequest", "catchUpReply"]
}
