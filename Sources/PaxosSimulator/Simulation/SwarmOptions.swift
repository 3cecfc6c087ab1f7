import PaxosCore

/// Swarm testing (Groce et al.; FoundationDB's and TigerBeetle's simulators do the same): each
/// seed draws its own configuration, so that the seeds span storms of dueling proposers with
/// short deadlines as well as long quiet runs with rare crashes, and some seeds leave whole
/// kinds of fault out (a bug that one fault masks shows in the seeds without it). Drawn from the
/// seed alone: `paxos simulate --seed N --swarm` replays the run.
public enum SwarmOptions {
    /// The options of seed `seed`. `base` gives what the swarm does not draw: mutations, the
    /// disk, the trace length.
    public static func draw(seed: UInt64, base: SimulationOptions = SimulationOptions()) -> SimulationOptions {
        // Its own generator, apart from the run's: the run's draws start from the seed as always.
        var random = SplitMix64(seed: seed ^ 0x5357_4152_4D5F_4F50)
        func pick<T>(_ choices: [T]) -> T { choices[Int(random.next() % UInt64(choices.count))] }
        func chance(_ perMille: UInt64) -> Bool { random.next() % 1_000 < perMille }

        var options = base
        options.swarm = true
        options.nodes = pick([3, 3, 4, 5, 5, 6, 7])
        options.steps = pick([150, 400, 800, 2_000, 5_000])
        var faults = Set<Fault>()
        // Amnesia is drawn last (below), so that the seeds drawn before it joined keep their runs.
        for fault in Fault.survivable where fault != .amnesia && fault != .stall && chance(fault == .torn ? 700 : 550) {
            faults.insert(fault)
        }
        if faults.contains(.torn) { faults.insert(.crash) }
        options.faults = FaultMix(faults)

        // Workload: storms (a submit every 0.2 ms at one node, 15 ms deadlines) to trickles.
        options.submitIntervalMicroseconds = pick([150, 400, 1_500, 6_000, 20_000])
        options.submitDeadlineMilliseconds = pick([8, 15, 40, 200, 2_000])
        options.submitTarget = chance(400) ? Int(random.next() % UInt64(options.nodes)) + 1 : 0
        options.contendIntervalMaximumMicroseconds = pick([3_000, 15_000, 60_000, 300_000])
        options.readIntervalMicroseconds = pick([0, 500, 3_000, 20_000])
        options.namedSubmitsPerMille = pick([0, 500, 1_000])
        options.calmNodeDown = chance(300) ? Int(random.next() % UInt64(options.nodes)) : nil

        // Network.
        options.latencyMinimumMicroseconds = pick([20, 100, 300])
        options.latencyMaximumMicroseconds = options.latencyMinimumMicroseconds + pick([50, 800, 5_000])
        options.fixedLatencyMicroseconds = pick([50, 500, 2_000])
        options.longDelayMaximumMicroseconds = pick([5_000, 50_000, 300_000, 1_000_000])
        options.dropPerMille = pick([2, 20, 60, 150])
        options.duplicatePerMille = pick([2, 30, 100])
        options.delayPerMille = pick([5, 20, 80])
        options.stalePerMille = pick([2, 10, 40])

        // Disk and node failures.
        options.syncMicroseconds = pick([20, 150, 1_000, 5_000])
        options.partitionIntervalMaximumMicroseconds = pick([5_000, 40_000, 300_000])
        options.partitionDurationMaximumMicroseconds = pick([2_000, 30_000, 200_000])
        options.crashIntervalMaximumMicroseconds = pick([3_000, 40_000, 300_000])
        options.downtimeMaximumMicroseconds = pick([1_000, 30_000, 200_000])

        // The core's timings, as a live operator may set them. An operator who sets a phase
        // timeout below a round trip with its fsyncs gets no progress at all, in any Paxos; and
        // heartbeats shorter than a message's way make every node think the others dead. Both
        // are kept above what this seed's network and disk need (in milliseconds, rounded up).
        let oneWayMicroseconds = max(options.latencyMaximumMicroseconds, options.fixedLatencyMicroseconds)
        let roundTripMilliseconds = (2 * (oneWayMicroseconds + options.syncMicroseconds) + 999) / 1_000
        options.heartbeatMilliseconds = max(pick([3, 10, 20, 60]), 2 * roundTripMilliseconds)
        options.phaseTimeoutMilliseconds = max(pick([3, 10, 30, 100]), 3 * roundTripMilliseconds)
        // Randomized backoff separates duelling proposers only if its window exceeds a round
        // trip (Lamport's argument); a narrower one is a livelock by configuration.
        let base = pick([UInt64(1), 2, 5])
        options.backoff = .randomizedExponential(baseMilliseconds: base,
                                                 maxMilliseconds: max(base * pick([4, 20, 100]), 4 * roundTripMilliseconds))
        options.snapshotIntervalInstances = pick([0, 4, 24, 200])
        options.snapshotTailInstances = pick([0, 8, 64])
        if faults.contains(.crash) && chance(550) { options.faults = FaultMix(faults.union([.amnesia])) }
        // Drawn last, so that every other draw of a seed stays what it was before it joined.
        // Mostly the live node's calls; a quarter of the seeds send every message alone, where
        // links reorder freely.
        // A base that sends every message alone keeps it (`--peer-messages alone`).
        let callsDrawn = chance(750)
        options.peerCalls = options.peerCalls && callsDrawn
        // Stalled fsyncs joined later still: drawn after everything else, for the same reason.
        if options.faults.contains(.crash) && chance(600) {
            options.faults = FaultMix(options.faults.faults.union([.stall]))
            options.stallPerMille = pick([5, 30, 150])
        }
        // A quarter of the seeds end with no new submits once the faults stop: the cluster must
        // then finish on its own every value a client was told of (a leader that left its own
        // vote out and restarted knows nothing of what its followers accepted, and no submit
        // comes to start its phase 1). Drawn last, as above.
        if chance(250) { options.calmSubmits = 0 }
        return options
    }

    /// A one-line summary of what a seed drew, for the verbose printout and failures.
    public static func describe(_ options: SimulationOptions) -> String {
        "swarm: \(options.nodes) nodes, \(options.steps) steps, faults \(options.faults), "
            + "submit every \(options.submitIntervalMicroseconds) µs to \(options.submitTarget == 0 ? "any node" : "S\(options.submitTarget)") "
            + "(deadline \(options.submitDeadlineMilliseconds) ms), drop/dup/delay/stale ‰ \(options.dropPerMille)/\(options.duplicatePerMille)/\(options.delayPerMille)/\(options.stalePerMille), "
            + "fsync \(options.syncMicroseconds) µs\(options.faults.contains(.stall) ? " (\(options.stallPerMille) ‰ stalled)" : ""), heartbeat \(options.heartbeatMilliseconds) ms, phase timeout \(options.phaseTimeoutMilliseconds) ms, "
            + "snapshot every \(options.snapshotIntervalInstances) instances, "
            + (options.calmSubmits == 0 ? "no submits once calm, " : "")
            + (options.peerCalls ? "messages in peer calls" : "every message alone")
    }
}
