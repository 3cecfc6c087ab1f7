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
