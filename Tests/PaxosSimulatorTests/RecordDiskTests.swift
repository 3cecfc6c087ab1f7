import PaxosCore
@testable import PaxosSimulator
import Testing

/// The record disk (`--disk records`) keeps a snapshot installed from a peer as the live node
/// keeps its stored file: durable before the install, used at start-up when newer than the
/// log's point. Without that, a rebuilt node caught up by an install said it voted once its
/// step's records were synced, and a crash before its checkpoint's fsync brought it back behind
/// its rejoin fence (`paxos simulate --disk records`, seed 385, before checkpoints demanded
/// their fsync).
@Suite struct RecordDiskTests {
    let fence = Ballot(round: 7, node: NodeID(2))

    private func syncNow(_ disk: inout RecordDisk) {
        disk.startSync()
        disk.sync()
    }

    @Test("an installed snapshot survives a crash that tears the checkpoint after it")
    func anInstalledSnapshotIsDurableBeforeItsCheckpoint() throws {
        var disk = RecordDisk()
        disk.append([.rejoinStarted(floor: 100), .rejoinFenced(from: 6, ballot: fence)])
        syncNow(&disk)
        disk.storeInstalledSnapshot([.compacted(through: 5, fileBytes: 5)])
        disk.append([.promisedFrom(from: 6, ballot: fence)])
        syncNow(&disk)
        disk.compact(checkpoint: [.compacted(through: 5, fileBytes: 5), .rejoinStarted(floor: 0),
                                  .rejoinFenced(from: 6, ballot: fence)])
        var random = SplitMix64(seed: 1)
        #expect(disk.crash(tearLastWrite: true, random: &random))
        let state = try disk.start().state
        #expect(state.compactedThrough == 5)
        #expect(state.rejoin == .fenced(from: 6, ballot: fence))
        // Caught up below the fence (every instance through 5 is in the snapshot): it votes.
        let node = PaxosNode(configuration: PaxosConfiguration(node: NodeID(2), members: [NodeID(1), NodeID(2), NodeID(3)]),
                             recovered: state)
        #expect(node.isVoting)
    }

    @Test("the stored snapshot goes only when a newer point is asked, and never overrides a newer log point")
    func theStoredSnapshotYieldsToNewerPoints() throws {
        var disk = RecordDisk()
        disk.storeInstalledSnapshot([.compacted(through: 5, fileBytes: 5)])
        disk.compact(checkpoint: [.compacted(through: 9, fileBytes: 9)])
        syncNow(&disk)
        #expect(try disk.start().state.compactedThrough == 9)
        disk.removeSnapshots(olderThan: 5)
        var random = SplitMix64(seed: 1)
        _ = disk.crash(tearLastWrite: false, random: &random)
        #expect(try disk.start().state.compactedThrough == 9)
        var fresh = RecordDisk()
        fresh.storeInstalledSnapshot([.compacted(through: 5, fileBytes: 5)])
        fresh.removeSnapshots(olderThan: 6)
        #expect(try fresh.start().state.compactedThrough == 0)
    }
}

/// The simulated shell's half of `removeSnapshotsOnceDurable`: a snapshot point that passes an
/// installed snapshot deletes it only once the point's checkpoint is durable. Until then the
/// install's own checkpoint may not be durable either, and a crash restarts from the stored
/// snapshot. A failure needs a rebuilt node that votes because of that install (its install's
/// checkpoint lost in a crash, so that it restarted from the stored snapshot), a newer point,
/// and a crash before that point's checkpoint is durable. The simulator aims crashes at both
/// (about one swarm seed in 250 on the record disk then fails with the deletion at once), and
/// the order is pinned here too, by a script and by seeds.
@Suite struct SnapshotRemovalOrderTests {
    /// With the installed snapshot deleted at once, swarm seed 44012862 on the record disk (the
    /// 12,863rd of 20,000 from 44000000, found that way before the aimed crashes) fails
    /// stability: a rebuilt node said it voted and came back behind its fence. It must run
    /// clean, and still reach the window (if a change of the simulator's draws moves it
    /// elsewhere, this says so).
    @Test("the swarm seed that caught the deletion at once runs clean")
    func theSeedThatCaughtTheEagerDeletionRunsClean() async {
        var base = SimulationOptions()
        base.disk = .records
        let options = SwarmOptions.draw(seed: 44_012_862, base: base)
        let result = await onOwnThread { Simulator.run(seed: 44_012_862, options: options) }
        if result.violation != nil { Issue.record("\(SimulationReport.failure(for: result))") }
        #expect(result.figures.coverage[.snapshotInstalled] > 0)
        #expect(result.figures.coverage[.crashBeforeCheckpointOverStoredSnapshot] > 0)
    }

    /// The crashes aimed at the window (`aimCrashAtRebuiltInstall`, then `finishCompaction`'s
    /// at the first point past the stored snapshot) made the deletion at once fail swarm seeds
    /// 39, 516, 659, 1057, 1069, 1196 and 1683 on the record disk, about one in 250, where
    /// before them 20,000 seeds from 1 passed. Runs change with the core and the swarm's draws:
    /// since a leader leaves its own vote out of its Accepts and a quarter of the swarm's seeds
    /// make no submits once calm (stop 40), 15 of the first 2,500 swarm seeds on the record
    /// disk reach both windows, and of those 45, 479, 1731 and 1761 fail with the installed
    /// snapshot deleted at once in `compactLog` (stability: "S1 said it voted, but came back
    /// from a crash behind its rejoin fence"); since the leader keeps its vote on sequential
    /// values (stop 41), 45 and 1731 still fail so (re-checked with that throwaway build);
    /// since a peer call's messages make one step (stop 44), 18 of the first 2,500 reach both
    /// windows, and 1196, 1683, 1731 and 2157 fail so. Seeds 1196 and 1731 must run clean and
    /// must still reach the window: a crash of a rebuilt node before the checkpoint of a point
    /// past its stored snapshot is durable.
    @Test("seeds the aimed crashes made catch the deletion at once run clean", arguments: [UInt64(1196), 1731])
    func seedsOfTheAimedCrashesRunClean(seed: UInt64) async {
        var base = SimulationOptions()
        base.disk = .records
        let options = SwarmOptions.draw(seed: seed, base: base)
        let result = await onOwnThread { Simulator.run(seed: seed, options: options) }
        if result.violation != nil { Issue.record("\(SimulationReport.failure(for: result))") }
        #expect(result.figures.coverage[.crashBeforeInstallCheckpointOfRebuiltNode] > 0)
        #expect(result.figures.coverage[.crashBeforeCheckpointOverStoredSnapshot] > 0)
    }

    @Test("an installed snapshot outlives a newer point until the point's checkpoint is synced")
    func theInstalledSnapshotStaysUntilTheNewerCheckpointIsDurable() throws {
        var options = SimulationOptions(nodes: 3, steps: 0, faults: FaultMix([.crash]))
        options.disk = .records
        let simulation = Simulation(seed: 1, options: options)
        #expect(simulation.syncMicroseconds > 0, "fsyncs take time, so a checkpoint waits for one")

        // Node 1 installs a peer's snapshot through instance 5 (stored first, as live), and its
        // log gets the checkpoint at 5, not synced yet.
        let installed: [DurableRecord] = [.compacted(through: 5, fileBytes: 5)]
        simulation.nodes[0].disk.storeInstalledSnapshot(installed)
        simulation.absorb(simulation.nodes[0].core.installSnapshot(installed), node: 0)
        simulation.compactLog(node: 0, through: 5, lines: 5)
        // It goes on to instance 9 and moves its point there before any fsync.
        simulation.absorb(simulation.nodes[0].core.installSnapshot([.compacted(through: 9, fileBytes: 9)]), node: 0)
        simulation.compactLog(node: 0, through: 9, lines: 9)
        #expect(simulation.nodes[0].syncedTicket < simulation.nodes[0].appendedTicket)

        // A crash now loses both checkpoints: the stored snapshot must still be there.
        var crashed = simulation.nodes[0].disk
        var random = SplitMix64(seed: 1)
        _ = crashed.crash(tearLastWrite: false, random: &random)
        #expect(try crashed.start().state.compactedThrough == 5)

        // Once the newer checkpoint is durable, the installed snapshot is of no use and goes.
        simulation.syncDisk(node: 0)
        #expect(try simulation.nodes[0].disk.start().state.compactedThrough == 9)
        var synced = simulation.nodes[0].disk
        _ = synced.crash(tearLastWrite: false, random: &random)
        #expect(try synced.start().state.compactedThrough == 9)
        #expect(simulation.nodes[0].snapshotRemoval == nil)
    }
}
