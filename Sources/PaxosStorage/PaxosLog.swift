import Foundation
import PaxosCore

/// The write-ahead log of one node: segment files `<directory>/wal/<sequence>.wal`, each a
/// sequence of WALFormat records (WALSegments, WALRecovery).
///
/// A node appends the `persist` records of a Ready, syncs, and only then sends what depends on
/// them (DESIGN.md section 4). Opening the log replays it into the `DurableState` the core
/// restarts from. `compact(checkpoint:)` starts a segment with the state the core still needs,
/// after which the older segments can go (`removeSegments(before:)`).
///
/// Threads: `sync()` may run on one thread while another stages (what GroupCommitLog does),
/// and staging never waits for a write, a segment switch or an fsync; everything else is to be
/// called from one thread at a time.
public final class PaxosLog: @unchecked Sendable {
    /// What recovery found, for the node's start-up log line.
    public struct Recovery: Hashable, Sendable {
        public var records = 0
        /// Bytes of whole valid records in the live segments: the size of the log after recovery.
        public var validBytes = 0
        /// Bytes of an incomplete or damaged last record that were cut off (0 if none; a zero
        /// filled, preallocated tail is the normal end and not counted).
        public var droppedTailBytes = 0
        /// Why the tail was dropped, if it was.
        public var droppedTailReason: String?
        /// Whether the log did not exist and was created.
        public var created = false
        /// Live segments after recovery.
        public var segments = 0
        /// Records of the checkpoint the log starts from (nil: it starts from its first segment).
        public var checkpointRecords: Int?
        /// Newest segments dropped because their checkpoint was cut short by a crash.
        public var discardedIncompleteCheckpoints = 0
        /// Segments deleted because a checkpoint superseded them (a compaction finished by recovery).
        public var removedSegments = 0
        /// Whether a single `paxos.wal` of an older version was moved into `wal/`.
        public var migratedLegacyLog = false
    }

    public let directory: String
    /// `<directory>/wal`.
    public let walDirectory: String
    public let options: WALOptions
    public let recovery: Recovery
    private let fileSystem: any FileSystem

    private struct Segment {
        var sequence: UInt64
        var path: String
        var bytes: Int
    }

    // Guards everything below. `sync()` reads `file` under it but syncs outside, so appends go on
    // while an fsync runs. (The state an append touches is only reached with the lock held and
    // by no nested access: its dynamic exclusivity checks, about ten per append, are off.)
    private let lock = NSLock()
    @exclusivity(unchecked) private var file: (any AppendableFile)?
    /// The live segments, oldest first; the last is the one written (`file`).
    @exclusivity(unchecked) private var segments: [Segment]
    /// How far the current segment is zero-filled and allocated.
    @exclusivity(unchecked) private var preallocatedBytes: Int
    /// Handles of finished segments that a concurrent `sync()` may still hold; closed when none runs.
    @exclusivity(unchecked) private var retiredFiles: [any AppendableFile] = []
    @exclusivity(unchecked) private var syncsRunning = 0
    /// Set by the first failed write or sync. After a failed fsync the kernel may have dropped
    /// the dirty pages and will not report it again ("fsyncgate"), so nothing later could be
    /// trusted to be durable: the log refuses all further work, and the node must restart
    /// and recover from what is really on disk.
    @exclusivity(unchecked) private var failure: StorageError?
    /// The frames written last, or being written: the writer (holding `lock`) swaps them with
    /// `frameBuffer` under `stagingLock`, then writes them without it, so staging goes on into
    /// the other buffer meanwhile. Let go once written if it grew past `frameBufferBytesKept`,
    /// so one big record does not stay resident.
    @exclusivity(unchecked) private var writeBuffer: [UInt8] = []

    // Staging has a lock of its own, never held during a system call: the node's thread stages
    // while the fsync thread writes, starts a checkpoint's segment, or syncs, and waits for
    // none of that. Lock order: `lock`, then `stagingLock`.
    private let stagingLock = NSLock()
    /// Where appends encode their frames, reused so that an append allocates nothing: its
    /// first `stagedBytes` bytes are frames staged and not yet written (`stage`).
    @exclusivity(unchecked) private var frameBuffer: [UInt8] = []
    @exclusivity(unchecked) private var stagedBytes = 0
    /// Checkpoints staged (`stageCompaction`): each starts a new segment once the staged
    /// frames before it, the first `at` bytes of `frameBuffer`, are written.
    @exclusivity(unchecked) private var stagedCheckpoints: [(at: Int, frames: [UInt8])] = []
    /// Why staging is refused: the log failed or was closed (`usableFile`'s error).
    @exclusivity(unchecked) private var stagingRefusal: StorageError?
    /// The newest segment that opens with a checkpoint, once written; and once an fsync has
    /// covered it (the older segments may go then: `removeSegments(before:)`).
    @exclusivity(unchecked) private var newestCheckpointSegment: UInt64?
    @exclusivity(unchecked) private var syncedCheckpoint: UInt64?
    static let frameBufferBytesKept = 1 << 16

    private init(directory: String, walDirectory: String, options: WALOptions, fileSystem: any FileSystem,
                 file: any AppendableFile, segments: [Segment], preallocatedBytes: Int, recovery: Recovery) {
        self.directory = directory
        self.walDirectory = walDirectory
        self.options = options
        self.fileSystem = fileSystem
        self.file = file
        self.segments = segments
        self.preallocatedBytes = preallocatedBytes
        self.recovery = recovery
    }

    /// Opens or creates the log under `directory` and replays it.
    ///
    /// A torn tail (an incomplete or damaged last record of the last segment) is cut off and the
    /// cut synced: it was never acknowledged, since every reply waits for the fsync of its
    /// records. A damaged record followed by a valid one, or damage in an earlier segment, is
    /// corruption: this throws a `StorageError` naming file and offset. Segments superseded by a
    /// checkpoint, and a checkpoint cut short, are deleted.
    public static func open(directory: String, fileSystem: any FileSystem, options: WALOptions = WALOptions()) throws -> (log: PaxosLog, state: DurableState) {
        let walDirectory = FilePaths.join(directory, WALSegmentNames.directoryName)
        try fileSystem.createDirectory(walDirectory)
        var recovery = Recovery()
        recovery.migratedLegacyLog = try LegacyLogMigration.migrate(directory: directory, walDirectory: walDirectory, fileSystem: fileSystem)

        let plan = try WALRecovery.plan(walDirectory: walDirectory, fileSystem: fileSystem)
        recovery.records = plan.records.count
        recovery.droppedTailBytes = plan.droppedTailBytes
        recovery.droppedTailReason = plan.droppedTailReason
        recovery.checkpointRecords = plan.checkpointRecords
        recovery.discardedIncompleteCheckpoints = plan.discardedIncompleteCheckpoints
        recovery.removedSegments = plan.obsoletePaths.count - plan.discardedIncompleteCheckpoints

        // Durably gone before anything is appended: a discarded checkpoint must not come back
        // after a crash and sit after records written into the segment before it.
        for path in plan.obsoletePaths { try fileSystem.remove(path) }
        if !plan.obsoletePaths.isEmpty { try fileSystem.syncDirectory(walDirectory) }

        var segments = plan.segments.map { Segment(sequence: $0.sequence, path: $0.path, bytes: $0.validBytes) }
        let last = plan.segments.last
        let path = last?.path ?? FilePaths.join(walDirectory, WALSegmentNames.fileName(sequence: 1))
        let (file, created) = try fileSystem.openForAppending(path)
        var preallocated = last?.fileBytes ?? 0
        do {
            if created {
                recovery.created = true
                segments = [Segment(sequence: 1, path: path, bytes: 0)]
                try fileSystem.syncDirectory(walDirectory)
            }
            if let last, last.fileBytes > last.validBytes {
                // Cut the tail (torn bytes, or the zeros the writer must overwrite): the handle then
                // writes at the end of the valid records, and what follows is zeros again.
                try file.truncate(to: last.validBytes)
                preallocated = last.validBytes
                if options.preallocationStepBytes > 0 {
                    preallocated = min(max(last.fileBytes, last.validBytes + options.preallocationStepBytes), max(options.segmentBytesMax, last.validBytes))
                    try file.preallocate(bytes: preallocated)
                }
                try file.sync()
            }
        } catch {
            file.close()
            throw error
        }
        recovery.segments = segments.count
        recovery.validBytes = segments.reduce(0) { $0 + $1.bytes }
        let log = PaxosLog(directory: directory, walDirectory: walDirectory, options: options, fileSystem: fileSystem,
                           file: file, segments: segments, preallocatedBytes: preallocated, recovery: recovery)
        return (log, DurableState(replaying: plan.records))
    }

    /// The records of the log in `directory`, in order, without changing anything: for tools
    /// and tests. Throws as `open` does on corruption; a torn tail is left out, and so are
    /// checkpoint markers (the checkpoint's records are included, as `open` replays them).
    public static func readRecords(directory: String, fileSystem: any FileSystem) throws -> [DurableRecord] {
        let walDirectory = FilePaths.join(directory, WALSegmentNames.directoryName)
        let legacy = FilePaths.join(directory, WALSegmentNames.legacyFileName)
        if fileSystem.exists(legacy), try WALSegmentNames.sequences(in: walDirectory, fileSystem: fileSystem).isEmpty {
            return try SegmentScan.scan(try fileSystem.readFile(legacy), path: legacy).records
        }
        return try WALRecovery.plan(walDirectory: walDirectory, fileSystem: fileSystem).records
    }

    /// The path of the segment being written.
    public var path: String { lock.withLock { segments[segments.count - 1].path } }

    /// The bytes of records in the live segments, as written (not necessarily durable): what
    /// the log holds on disk, preallocated zeros aside.
    public var size: Int { lock.withLock { segments.reduce(0) { $0 + $1.bytes } } }

    /// The bytes of records in the segment being written: the offset of the next append in it.
    public var currentSegmentSize: Int { lock.withLock { segments[segments.count - 1].bytes } }

    /// The sequences of the live segments, oldest first.
    public var segmentSequences: [UInt64] { lock.withLock { segments.map(\.sequence) } }

    /// Writes `records` to the operating system in one write (with any staged before them):
    /// visible, not yet durable. An oversized record is refused before anything is written.
    /// Starts the next segment first if the current one would pass `segmentBytesMax`.
    public func append(_ records: [DurableRecord]) throws {
        if records.isEmpty { return }
        try lock.withLock {
            try stagingLock.withLock { try stageLocked(records) }
            try writeStagedLocked()
        }
    }

    /// Encodes `records` after those staged before, without a system call: the next `append`,
    /// `sync` or `compact` writes them all in one write, in order. The group commit stages on
    /// the node's thread, and its fsync thread writes and syncs, so a node that takes many steps
    /// per fsync pays one write for them. An oversized record is refused here, before anything
    /// of it is staged.
    public func stage(_ records: [DurableRecord]) throws {
        if records.isEmpty { return }
        try stagingLock.withLock { try stageLocked(records) }
    }

    /// fdatasync: everything appended or staged before this call is durable when it returns.
    /// (Segments before the current one were synced when it was started.)
    public func sync() throws {
        try syncFile(writingStagedFirst: true)
    }

    /// The first half of `sync`: writes what is staged, in one write, without waiting for the
    /// disk. The simulator runs `sync`'s halves at the two ends of a simulated fsync, so that
    /// records staged while it runs wait for the next one and a crash in between may tear a
    /// write holding several steps' records, as on the live node's fsync thread.
    public func writeStaged() throws {
        try lock.withLock { try writeStagedLocked() }
    }

    /// The second half of `sync`: fdatasync of what was written, leaving staged records staged.
    public func syncWritten() throws {
        try syncFile(writingStagedFirst: false)
    }

    private func syncFile(writingStagedFirst: Bool) throws {
        let (file, checkpoint) = try lock.withLock {
            if writingStagedFirst { try writeStagedLocked() }
            let file = try usableFile()
            syncsRunning += 1
            return (file, newestCheckpointSegment)
        }
        defer {
            lock.withLock {
                syncsRunning -= 1
                if syncsRunning == 0 {
                    for retired in retiredFiles { retired.close() }
                    retiredFiles = []
                }
            }
        }
        do {
            try file.sync()
        } catch {
            lock.withLock { noteFailure(Self.storageError(error, path: file.path)) }
            throw error
        }
        // The checkpoint's segment is this file, or an older one, synced when the next began.
        if let checkpoint { lock.withLock { syncedCheckpoint = max(syncedCheckpoint ?? 0, checkpoint) } }
    }

    /// The newest segment opening with a checkpoint that an fsync has covered: recovery starts
    /// there, and `removeSegments(before:)` may delete everything older.
    public var syncedCheckpointSegment: UInt64? { lock.withLock { syncedCheckpoint } }

    /// Starts a new segment whose first frames are a checkpoint: a begin marker, `checkpoint`,
    /// an end marker. Later appends follow it in that segment. Returns the new segment's
    /// sequence. Nothing is durable yet: once a `sync()` has covered it, recovery starts from
    /// this checkpoint, and `removeSegments(before:)` may delete the older segments.
    ///
    /// `checkpoint` is whatever the caller's state needs to restart without the older segments
    /// (opaque here); recovery replays it like any records.
    @discardableResult
    public func compact(checkpoint: [DurableRecord]) throws -> UInt64 {
        let frames = try Self.checkpointFrames(checkpoint)
        return try lock.withLock {
            try stagingLock.withLock { try stageCheckpointLocked(frames) }
            try writeStagedLocked()
            return segments[segments.count - 1].sequence
        }
    }

    /// `compact` without a system call: the checkpoint's segment starts at the next write of
    /// what is staged (`sync`), after the records staged before it and before those staged
    /// after it. The live node's thread stages it, and its fsync thread makes the switch (two
    /// fsyncs: the old segment's, then the directory's). `syncedCheckpointSegment` says when
    /// an fsync has covered it.
    public func stageCompaction(checkpoint: [DurableRecord]) throws {
        let frames = try Self.checkpointFrames(checkpoint)
        try stagingLock.withLock { try stageCheckpointLocked(frames) }
    }

    /// A begin marker, the records' frames, an end marker, in one buffer at its final size.
    /// Refuses an oversized record before anything is staged.
    private static func checkpointFrames(_ checkpoint: [DurableRecord]) throws -> [UInt8] {
        let records = try WALFormat.frames(of: checkpoint)
        var frames: [UInt8] = []
        frames.reserveCapacity(records.count + 2 * CheckpointMarker.frameBytes)
        CheckpointMarker.begin(recordCount: UInt64(checkpoint.count)).appendFrame(to: &frames)
        frames += records
        CheckpointMarker.end(recordCount: UInt64(checkpoint.count)).appendFrame(to: &frames)
        return frames
    }

    /// Deletes every segment older than `sequence` and syncs the directory. Only once the
    /// checkpoint opening segment `sequence` is durable: before that, recovery still needs them.
    public func removeSegments(before sequence: UInt64) throws {
        let doomed: [Segment] = lock.withLock {
            let doomed = segments.filter { $0.sequence < sequence }
            segments.removeAll { $0.sequence < sequence }
            return doomed
        }
        if doomed.isEmpty { return }
        // Oldest first: a crash part-way leaves a contiguous run ending at the checkpoint,
        // which recovery accepts and finishes deleting.
        for segment in doomed { try fileSystem.remove(segment.path) }
        try fileSystem.syncDirectory(walDirectory)
    }

    /// Admin reset: replaces the log by one holding only `.incarnation(incarnation)`, so a
    /// restarted node keeps a fresh incarnation and never reuses command identifiers. A crash
    /// leaves the old log or the new one. Records appended but not synced before the reset are
    /// discarded with the old log.
    public func reset(keepingIncarnation incarnation: UInt64) throws {
        let sequence = try compact(checkpoint: [.incarnation(incarnation)])
        try sync()
        do {
            try removeSegments(before: sequence)
        } catch {
            lock.withLock { noteFailure(Self.storageError(error, path: walDirectory)) }
            throw error
        }
    }

    /// Closes the file; appends and syncs after this throw.
    public func close() {
        lock.withLock {
            file?.close()
            file = nil
            for retired in retiredFiles { retired.close() }
            retiredFiles = []
            refuseStaging()
        }
    }

    // MARK: Staging (with `stagingLock` held)

    private func stageLocked(_ records: [DurableRecord]) throws {
        if let stagingRefusal { throw stagingRefusal }
        stagedBytes = try WALFormat.encodeFrames(of: records, into: &frameBuffer, after: stagedBytes)
    }

    private func stageCheckpointLocked(_ frames: [UInt8]) throws {
        if let stagingRefusal { throw stagingRefusal }
        stagedCheckpoints.append((stagedBytes, frames))
    }

    // MARK: Writing (with `lock` held)

    /// The first failure is kept, and staging refuses from then on.
    private func noteFailure(_ error: StorageError) {
        if failure == nil { failure = error }
        refuseStaging()
    }

    /// Staging refuses what `usableFile` would (the log failed or is closed).
    private func refuseStaging() {
        let refusal: StorageError?
        do { _ = try usableFile(); refusal = nil } catch let error as StorageError { refusal = error } catch { refusal = nil }
        stagingLock.withLock { stagingRefusal = refusal }
    }

    /// Writes the staged frames, in one write between two staged checkpoints, each checkpoint
    /// starting its segment in between.
    private func writeStagedLocked() throws {
        _ = try usableFile()
        let (count, checkpoints) = stagingLock.withLock { () -> (Int, [(at: Int, frames: [UInt8])]) in
            let taken = (stagedBytes, stagedCheckpoints)
            if taken.0 > 0 || !taken.1.isEmpty {
                swap(&frameBuffer, &writeBuffer)
                stagedBytes = 0
                stagedCheckpoints = []
            }
            return taken
        }
        guard count > 0 || !checkpoints.isEmpty else { return }
        defer { if writeBuffer.count > Self.frameBufferBytesKept { writeBuffer = [] } }
        var start = 0
        for checkpoint in checkpoints {
            try writeStagedFrames(start..<checkpoint.at)
            let sequence = segments[segments.count - 1].sequence + 1
            try guardFailure { try startSegment(sequence: sequence, initialFrames: checkpoint.frames) }
            newestCheckpointSegment = sequence
            start = checkpoint.at
        }
        try writeStagedFrames(start..<count)
    }

    /// One write of staged frames, starting the next segment first if the current one would
    /// pass `segmentBytesMax` (a segment holds at least one write).
    private func writeStagedFrames(_ range: Range<Int>) throws {
        guard !range.isEmpty else { return }
        let current = segments[segments.count - 1]
        if current.bytes > 0, current.bytes + range.count > options.segmentBytesMax {
            try guardFailure { try startSegment(sequence: current.sequence + 1, initialFrames: []) }
        }
        try guardFailure {
            try writeBuffer.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[range])) }
        }
    }

    /// Writes at the end of the current segment, preallocating ahead of it first.
    private func write(_ bytes: UnsafeRawBufferPointer) throws {
        let file = try usableFile()
        let index = segments.count - 1
        let end = segments[index].bytes + bytes.count
        if options.preallocationStepBytes > 0, end > preallocatedBytes {
            let target = max(end, min(preallocatedBytes + options.preallocationStepBytes, options.segmentBytesMax))
            try file.preallocate(bytes: target)
            preallocatedBytes = target
        }
        try file.write(bytes)
        segments[index].bytes = end
    }

    /// Syncs the current segment, creates segment `sequence` (durably named), and writes
    /// `initialFrames` into it. Syncing the old segment first keeps the rule recovery relies
    /// on: only the last segment can end torn, so damage in an earlier one is corruption.
    private func startSegment(sequence: UInt64, initialFrames: [UInt8]) throws {
        let old = try usableFile()
        try old.sync()
        let path = FilePaths.join(walDirectory, WALSegmentNames.fileName(sequence: sequence))
        let (file, created) = try fileSystem.openForAppending(path)
        do {
            if !created { try file.truncate(to: 0) }  // (recovery deletes leftovers; never reuse bytes)
            try fileSystem.syncDirectory(walDirectory)
        } catch {
            file.close()  // not kept: the log goes on failing with the old segment current
            throw error
        }
        if syncsRunning > 0 { retiredFiles.append(old) } else { old.close() }
        self.file = file
        segments.append(Segment(sequence: sequence, path: path, bytes: 0))
        preallocatedBytes = 0
        try initialFrames.withUnsafeBytes { try write($0) }
    }

    /// Runs a write; a failure leaves bytes that later records would follow, so it is fatal.
    private func guardFailure(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as StorageError where error.kind == .recordTooLarge {
            throw error
        } catch {
            noteFailure(Self.storageError(error, path: segments[segments.count - 1].path))
            throw error
        }
    }

    /// Errors of a custom FileSystem keep their text.
    private static func storageError(_ error: any Error, path: String) -> StorageError {
        error as? StorageError ?? StorageError(kind: .io, path: path, description: "\(path): \(error)")
    }

    /// Must be called with `lock` held.
    private func usableFile() throws -> any AppendableFile {
        if case .none = failure, let file { return file }
        // (The path only for the error: copying it out cost more than the checks, twice per append.)
        let path = segments[segments.count - 1].path
        if let failure {
            throw StorageError(
                kind: .logFailed, path: path,
                description: "the log \(path) failed earlier and refuses further use until the node restarts: \(failure)")
        }
        throw StorageError(kind: .closed, path: path, description: "the log \(path) is closed")
    }
}
