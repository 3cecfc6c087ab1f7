import PaxosCore
import PaxosSimulator
import Testing

/// Swarm options come from the seed alone: the seed replays the run, and the seeds differ in
/// cluster size, fault mix and workload.
@Suite struct SwarmTests {
    @Test func aSeedDrawsTheSameOptionsEveryTime() {
        for seed in UInt64(1)...50 {
            #expect(SwarmOptions.draw(seed: seed) == SwarmOptions.draw(seed: seed))
        }
    }

    @Test func seedsSpanClusterSizesFaultMixesAndWorkloads() {
        let drawn = (UInt64(1)...300).map { SwarmOptions.draw(seed: $0) }
        #expect(Set(drawn.map(\.nodes)) == Set(SimulationOptions.nodesRange))
        #expect(Set(drawn.map(\.faults)).count > 50)
        #expect(drawn.contains { !$0.faults.contains(.drop) } && drawn.contains { $0.faults.contains(.drop) })
        #expect(Set(drawn.map(\.submitIntervalMicroseconds)).count > 3)
        #expect(drawn.contains { $0.submitTarget != 0 } && drawn.contains { $0.submitTarget == 0 })
    }

    @Test func aSwarmRunReplaysByteForByteAndNamesItsReplayCommand() {
        let options = SwarmOptions.draw(seed: 17)
        let first = Simulator.runTraced(seed: 17, options: options)
        let second = Simulator.runTraced(seed: 17, options: SwarmOptions.draw(seed: 17))
        #expect(first.figures == second.figures)
        #expect(first.trace == second.trace)
        #expect(SimulationReport.replayCommand(seed: 17, options: options) == "paxos simulate --seed 17 --swarm")
        var mutated = SimulationOptions()
        mutated.mutations = [.acceptorAcceptsBelowPromise]
        #expect(SimulationReport.replayCommand(seed: 3, options: SwarmOptions.draw(seed: 3, base: mutated))
                == "paxos simulate --seed 3 --swarm --mutation acceptorAcceptsBelowPromise")
    }

    @Test func fixedSwarmSeedsRunClean() async {
        let failure = await onOwnThread { () -> SimulationResult? in
            for seed in UInt64(1)...30 {
                let result = Simulator.run(seed: seed, options: SwarmOptions.draw(seed: seed))
                if result.violation != nil { return result }
            }
            return nil
        }
        if let failure { Issue.record("\(SimulationReport.failure(for: failure))") }
    }

    /// Seeds that once failed, each for a bug since fixed:
    /// - swarm 4862: a rebuilt node leading while still fenced ignored its own first Accept,
    ///   and a resend left itself out; with the third node down, nothing was chosen again.
    /// - 701 on the record disk: a torn crash kept part of a checkpoint, so the node forgot the
    ///   commands it had applied and wrote one twice (no real log keeps part of a checkpoint).
    /// - swarm 5032200: the leader crashed as the faults stopped; its last instances were
    ///   accepted by both survivors and learned by neither, and no submit came to make a new
    ///   leader finish them, so the survivors never applied them (liveness). Heartbeats now
    ///   count an instance a node accepted a value in as one to decide once the value's
    ///   proposer is silent. 9031483: the same, where only the follower that is not the
    ///   distinguished proposer had accepted the last instance.
    /// - swarm 5033648: a leader's range Prepare was answered after it had applied and compacted
    ///   the instances the promises reported; it proposed them again, no acceptor answers below
    ///   its snapshot point, and those proposers held the window forever, so no submit was
    ///   decided again (liveness). A new leader now skips what it has applied.
    /// - swarm 9054214 (5 nodes, disks lost): a rebuilt node voted again, then crashed before
    ///   its decisions below the fence were synced and came back behind the fence; with two
    ///   others rebuilding, two of five voted and the instances below the fences were never
    ///   decided (liveness). The step that lifts the fence now syncs those decisions.
    /// - swarm 60167344 (3 nodes): a `propose` chosen by its proposer and one other node, the
    ///   proposer restarted before anyone learned it, the other stayed down; the proposer's own
    ///   accepted value was never counted as one to finish (only a silent peer's was), and the
    ///   survivors never applied it (liveness). Now a node's own value counts too once it no
    ///   longer runs that proposer.
    ///
    /// - 385 and swarm 401001 on the record disk (stop 30): a rebuilt node caught up by an
    ///   install said it voted, and a torn crash before the checkpoint's fsync brought it back
    ///   behind its fence; the record disk kept the installed snapshot only in that checkpoint
    ///   (385), and a newer point deleted it before its own checkpoint was durable (401001).
    ///   Their runs changed since checkpoints ask for their fsync at once; `RecordDiskTests`
    ///   pins the rules.
    ///
    /// They failed with every message travelling alone (before `SimulationOptions.peerCalls`):
    /// they run that way, their failing schedule, and as the seed draws them now.
    @Test func seedsThatOnceFailedRunClean() async {
        var alone = SimulationOptions()
        alone.peerCalls = false
        var records = alone
        records.disk = .records
        let swarmSeeds: [UInt64] = [4862, 5_032_200, 5_033_648, 9_031_483, 9_054_214, 60_167_344]
        var recordsInCalls = SimulationOptions()
        recordsInCalls.disk = .records
        let runs: [(UInt64, SimulationOptions)] = [(701, records), (385, recordsInCalls),
                                                   (401_001, SwarmOptions.draw(seed: 401_001, base: recordsInCalls))]
            + swarmSeeds.map { ($0, SwarmOptions.draw(seed: $0, base: alone)) }
            + swarmSeeds.map { ($0, SwarmOptions.draw(seed: $0)) }
        let failures = await onOwnThread {
            runs.map { Simulator.run(seed: $0.0, options: $0.1) }.filter { $0.violation != nil }
        }
        for failure in failures { Issue.record("\(SimulationReport.failure(for: failure))") }
    }

    /// The shell's live configuration is the one the simulator runs.
    @Test func theLiveConfigurationDeliversOwnMessagesThroughTheShell() {
        let members = [NodeID(1), NodeID(2), NodeID(3)]
        let live = PaxosConfiguration.live(node: NodeID(2), members: members, phaseTimeoutMilliseconds: 30,
                                           heartbeatMilliseconds: 20, backoff: .none, randomSeed: 5)
        #expect(live.selfDeliveryThroughShell)
        #expect(live.multiPaxos && live.forwardSubmitsToDistinguishedProposer)
        #expect(live.phaseTimeoutMilliseconds == 30 && live.heartbeatMilliseconds == 20 && live.randomSeed == 5)
    }
}
