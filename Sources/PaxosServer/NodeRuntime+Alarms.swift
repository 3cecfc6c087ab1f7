import NIOCore
import PaxosCore

/// Time for the core: its timers and the clients' deadlines, served by one task scheduled on
/// the node's loop for the earliest of them.
extension NodeRuntime {
    // MARK: - Alarms

    func arm(_ alarm: Alarm, afterMilliseconds milliseconds: UInt64) {
        let due = ContinuousClock.now + .milliseconds(Int64(clamping: milliseconds))
        alarms.schedule(alarm, at: due)
        wakeSleeper()
    }

    /// Makes the sleeper fire by the earliest alarm: rescheduled only when that is sooner than
    /// it fires now (a client's deadline, seconds ahead, never is while the heartbeat runs).
    private func wakeSleeper() {
        guard let earliest = alarms.earliest else { return }
        if let sleeper, sleeper.due <= earliest { return }
        sleeper?.task.cancel()
        // A timer of the node's own loop: it fires there, waking no other thread.
        let delay = TimeAmount.nanoseconds(max(0, (earliest - ContinuousClock.now).nanoseconds))
        let task = loop.scheduleTask(in: delay) {
            self.assumeIsolated { $0.ring(sleeperDue: earliest) }
        }
        sleeper = (earliest, task)
    }

    private func ring(sleeperDue: ContinuousClock.Instant) {
        guard sleeper?.due == sleeperDue else { return }  // replaced by a sooner one
        sleeper = nil
        let now = ContinuousClock.now
        while !stopping, let alarm = alarms.popNextDue(now: now) {
            switch alarm {
            case .timer(let id):
                step { $0.onTimer(id) }
                if id == .heartbeat { onHeartbeatDone() }
            case .deadline(let request):
                if waiters[request] != nil { step { $0.onDeadline(request: request) } }
            }
        }
        wakeSleeper()
    }

    /// After a heartbeat: the metrics' view of the node, and a log line when the leader changed.
    private func onHeartbeatDone() {
        metrics.refresh(core: core, walBytes: commitLog.logSizeBytes)
        let leader = core.distinguishedProposer, leading = core.isLeading
        if let seen = leaderSeen, seen.leader != leader || seen.leading != leading {
            logger.info(leading ? "this node leads" : "the leader is node \(leader)", metadata: [
                "leader": "\(leader)", "previousLeader": "\(seen.leader)", "applied": "\(core.appliedThrough)",
            ])
        }
        leaderSeen = (leader, leading)
    }

    func clearAlarms() {
        alarms.removeAll()
        sleeper?.task.cancel()
        sleeper = nil
    }
}
