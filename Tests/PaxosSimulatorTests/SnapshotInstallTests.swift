import PaxosSimulator
import Testing

/// Issue 16's snapshots under faults: a node behind a peer's snapshot point receives it in
/// chunks on its simulated disk (the real `SnapshotReceiver`), stores it, then installs it and
/// checkpoints its log, with crashes aimed between and inside those steps; restarts run the live
/// start-up rule (`StartingState.choose`). Every invariant must hold, and the seeds must reach
/// each outcome: a transfer cut or torn and ignored, a start from the stored snapshot, a resumed
/// transfer, a torn piece with garbage refused by the checksum.
@Suite struct SnapshotInstallTests {
    static let mix = FaultMix([.crash, .torn, .drop])

    @Test("crashes in the middle of snapshot installs keep every invariant, and reach every outcome")
    func crashesDuringInstallsAreSurvived() async {
        let options = SimulationOptions(nodes: 3, steps: 600, faults: Self.mix)
        let (failures, figures) = await runSeeds(1...150, options: options)
        #expect(failures.isEmpty, "\(failures)")
        for event in [CoverageEvent.crashDuringSnapshotInstall, .tornSnapshotIgnoredAtStart, .startedFromStoredSnapshot,
                      .snapshotTransferResumed, .snapshotRefused] {
            #expect(figures.coverage[event] > 0, "never happened in 150 seeds: \(event.name)")
        }
    }

    /// Stalled fsyncs (`Fault.stall`) hold an install's checkpoint back while the node catches
    /// up and moves its snapshot point again: until that fsync a restart needs the installed
    /// snapshot's file, and a crash is aimed there. Every invariant must hold.
    @Test("snapshot points over an install whose checkpoint is not synced yet, and crashes there")
    func pointsOverUnsyncedInstallsAreSurvived() async {
        var options = SimulationOptions(nodes: 3, steps: 600, faults: FaultMix([.crash, .torn, .drop, .stall, .amnesia]))
        options.stallPerMille = 150
        options.snapshotIntervalInstances = 4
        let (failures, figures) = await runSeeds(1...100, options: options)
        #expect(failures.isEmpty, "\(failures)")
        #expect(figures.coverage[.syncStalled] > 0)
        for event in [CoverageEvent.snapshotPointOverUnsyncedInstall, .votingBeforeInstallCheckpointSynced] {
            #expect(figures.coverage[event] > 0, "never happened in 100 seeds: \(event.name)")
        }
    }

    /// `RecordDisk` has no files: there an install stays one step of the model, and still holds.
    @Test("installs on the record disk (no snapshot files) keep every invariant")
    func installsWithoutFilesAreSurvived() async {
        var options = SimulationOptions(nodes: 3, steps: 600, faults: Self.mix)
        options.disk = .records
        let (failures, figures) = await runSeeds(1...60, options: options)
        #expect(failures.isEmpty, "\(failures)")
        #expect(figures.coverage[.snapshotInstalled] > 0)
    }
}
