import PaxosCore

/// The narrow view of a node's storage the simulator needs: its write-ahead log on a disk that
/// can crash. Writes are volatile until `sync`; a crash loses what was not synced (and may leave
/// a torn piece of the last write, which recovery must discard).
protocol SimulatedDisk {
    /// Writes records at the end of the log, not yet durable.
    mutating func append(_ records: [DurableRecord]) throws
    /// Makes every write so far durable (fsync).
    mutating func sync() throws
    var hasUnsyncedWrites: Bool { get }
    /// Power loss. Returns whether a write was torn.
    mutating func crash(tearLastWrite: Bool, random: inout SplitMix64) -> Bool
    /// The node's start-up: what recovery reads back from the log.
    mutating func recover() throws -> DurableState
    /// A checkpoint that replaces everything written before it once it is synced
    /// (`GroupCommitLog.compact`): until then, a crash leaves the old records.
    mutating func compact(checkpoint: [DurableRecord]) throws
}

/// A disk at record granularity, without the log's encoding: synced records survive; unsynced
/// ones are lost, except that a torn crash keeps the earlier unsynced writes and a prefix of the
/// last one (the disk got that far before the power went). For runs that measure the protocol
/// alone; `WALDisk` runs the real storage code.
struct RecordDisk: SimulatedDisk {
    private var durableState = DurableState()
    /// Unsynced writes, each the records of one `append`.
    private var pending: [[DurableRecord]] = []

    var hasUnsyncedWrites: Bool { !pending.isEmpty }

    mutating func append(_ records: [DurableRecord]) {
        guard !records.isEmpty else { return }
        pending.append(records)
    }

    mutating func sync() {
        for write in pending { keep(write[...]) }
        pending.removeAll(keepingCapacity: true)
    }

    mutating func crash(tearLastWrite: Bool, random: inout SplitMix64) -> Bool {
        defer { pending.removeAll() }
        guard tearLastWrite, let last = pending.last else { return false }
        for write in pending.dropLast() { keep(write[...]) }
        keep(last.prefix(Int(random.next() % UInt64(last.count))))
        return true
    }

    func recover() throws -> DurableState { durableState }

    /// The checkpoint's `compacted` record drops what it covers when replayed, and it restates
    /// everything above: replaying it after the older records is the same as replacing them.
    mutating func compact(checkpoint: [DurableRecord]) {
        append(checkpoint)
    }

    private mutating func keep(_ records: ArraySlice<DurableRecord>) {
        for record in records { durableState.apply(record) }
    }
}
