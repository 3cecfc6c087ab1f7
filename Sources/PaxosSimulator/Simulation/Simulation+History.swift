import PaxosCore
import PaxosStorage

/// Bounded history in the simulated shell (the live node's `NodeRuntime+History`): snapshot
/// points, and snapshots installed from a peer in the live node's steps, with simulated time
/// between them so that crashes fall anywhere in an install:
///
/// 1. the peer's snapshot arrives in chunks into a partial file (`SnapshotReceiver` over the
///    node's in-memory disk), each chunk written, then synced a while later: a crash loses an
///    unsynced chunk or tears it (half the time with a garbage byte), and the partial file stays
///    for the next transfer of the same snapshot to resume;
/// 2. the complete file is verified and renamed into place (`SnapshotReceiver.finish`); one that
///    fails its checksum is deleted and fetched again at the next offer;
/// 3. a while later the replicated file becomes its lines, the core jumps to the point, and the
///    log gets a checkpoint, synced with the next fsync.
///
/// Restarts run the live start-up rule (`StartingState.choose`): a stored snapshot newer than the
/// log's point is used, a partial or torn one never. `RecordDisk` has no files: there an install
/// stays one step, from the peer's model, with no crash inside it.
/// A snapshot as a node sends it: the bytes of its file, and the lines and records they encode.
struct SnapshotCopy {
    var point: InstanceNumber
    var image: [UInt8]
    var lines: [FileEntry]
    var records: [DurableRecord]
}

extension Simulation {
    /// Bytes per chunk of a transfer: a simulated snapshot is a few kilobytes, so most take
    /// several chunks, and crashes fall between and inside them.
    static let snapshotChunkBytes = 1_024

    /// Moves the node's snapshot point to its last line once it applied
    /// `snapshotIntervalInstances` past the previous one: the checkpoint replaces the log
    /// (once synced), and the file's lines up to there are what a peer behind would install.
    /// As the live node (`NodeRuntime.compactIfDue`): the point is the file's last line, the
    /// file is synced up to it (as long as a log fsync takes), and only then does the point
    /// move, in a step of its own, while the node went on applying meanwhile: a point may
    /// be behind what the node has applied when it moves.
    func compactIfDue(node index: Int) {
        let interval = options.snapshotIntervalInstances
        guard interval > 0, nodes[index].isUp, !nodes[index].compacting,
              nodes[index].core.appliedThrough - nodes[index].core.compactedThrough >= interval,
              let last = nodes[index].file.last, last.instance > nodes[index].core.compactedThrough else { return }
        nodes[index].compacting = true
        queue.schedule(.compactionDue(node: index, life: nodes[index].life, point: last.instance, lines: nodes[index].file.count),
                       at: now + syncDuration())
    }

    /// The file is synced up to `point`: the point moves, unless a crash or a snapshot
    /// installed meanwhile made it moot (the live `finishCompaction`).
    func finishCompaction(node index: Int, life: UInt32, point: InstanceNumber, lines: Int) {
        guard nodes[index].isUp, nodes[index].life == life else { return }
        nodes[index].compacting = false
        guard point > nodes[index].core.compactedThrough, point <= nodes[index].core.appliedThrough else { return }
        trace?.beginStep(at: now, "S\(index + 1)'s file is synced through instance \(point)")
        if point < nodes[index].core.appliedThrough { figures.coverage.count(.snapshotPointBehindApplied) }
        let overStoredSnapshot = nodes[index].pointOfStoredSnapshot.map { $0 < point } ?? false
        let followingSync = nodes[index].syncInFlight ? nodes[index].syncEndsAt : nil
        compactLog(node: index, through: point, lines: lines)
        // A point past a snapshot the node installed or restarted from: until this checkpoint
        // is durable, a restart still needs that snapshot, which is deleted once it is. For a
        // rebuilt node, whose votes the snapshot vouches for, deleting it early brings the node
        // back behind its fence: a crash is aimed before the fsync that covers the checkpoint
        // ends (the one under way if it started here, or the next one after it).
        if overStoredSnapshot {
            figures.coverage.count(.snapshotPointOverStoredSnapshot)
            if crashFaults, faultsActive, nodes[index].rebuiltSinceDiskLoss {
                let end = followingSync.map { $0 + syncMicroseconds } ?? nodes[index].syncEndsAt
                queue.schedule(.crashBeforeSynced(node: index, life: life, ticket: nodes[index].appendedTicket,
                                                  window: .pointPastStoredSnapshot),
                               at: randomValue(in: (now + 1)...max(end, now + 1)))
            }
        }
        // A newer point while the checkpoint of an install is not durable yet (its fsync slow,
        // or a stalled one): until that fsync, a restart needs the installed snapshot's file,
        // which the new point makes old. A crash is aimed at the window: before the fsync under
        // way ends (it may be the one that makes the install's checkpoint durable), or the next.
        if nodes[index].installCheckpointTicket > nodes[index].syncedTicket {
            figures.coverage.count(.snapshotPointOverUnsyncedInstall)
            if crashFaults, faultsActive {
                let end = nodes[index].syncInFlight && nodes[index].syncEndsAt > now + 1
                    ? nodes[index].syncEndsAt - 1 : now + 2 * syncMicroseconds
                queue.schedule(.crashDuringInstall(node: index, life: life), at: randomValue(in: (now + 1)...max(end, now + 1)))
            }
        }
    }

    /// In the simulator a snapshot point's `fileBytes` counts the file's lines.
    func compactLog(node index: Int, through point: InstanceNumber, lines: Int) {
        trace?.note("S\(index + 1) moves its snapshot point to instance \(point)")
        let compaction = nodes[index].core.compact(through: point, fileBytes: UInt64(lines))
        do {
            try nodes[index].disk.compact(checkpoint: compaction.checkpoint)
        } catch {
            storageFailed(index, error)
        }
        nodes[index].appendedTicket += 1
        // As the live node: the checkpoint is synced soon whether or not a step waits for it,
        // and snapshots older than the point, of no use any more, go once it is durable.
        nodes[index].demandedTicket = nodes[index].appendedTicket
        nodes[index].snapshotRemoval = (point, nodes[index].appendedTicket)
        nodes[index].snapshotMetadata = compaction.snapshotMetadata
        nodes[index].snapshotLines = lines
        figures.coverage.count(.snapshotTaken)
        if syncMicroseconds == 0 { syncDisk(node: index) } else { startSyncIfDue(node: index) }
    }

    /// The node is behind a peer's snapshot point: it fetches the peer's snapshot, which
    /// starts arriving a while later (the live node's chunked transfer), unless either crashes first.
    func fetchSnapshot(node index: Int, _ offer: SnapshotOffer) {
        guard !nodes[index].fetchingSnapshot,
              let peer = nodes.indices.first(where: { nodes[$0].core.id == offer.peer }) else { return }
        nodes[index].fetchingSnapshot = true
        queue.schedule(.snapshotArrives(node: index, life: nodes[index].life, peer: peer),
                       at: now + 4 * options.fixedLatencyMicroseconds + syncMicroseconds)
    }

    /// The peer's latest snapshot (its file's lines up to its point, and the applied state
    /// there) starts arriving: step 1.
    func snapshotArrives(node index: Int, life: UInt32, from peer: Int) {
        guard nodes[index].isUp, nodes[index].life == life else { return }
        guard nodes[index].disk.storesSnapshots else {
            installFromPeerModel(node: index, from: peer)
            return
        }
        guard nodes[peer].isUp, case .compacted(let point, _)? = nodes[peer].snapshotMetadata.first,
              point > nodes[index].core.appliedThrough else {
            nodes[index].fetchingSnapshot = false
            return
        }
        trace?.beginStep(at: now, "S\(index + 1) receives S\(peer + 1)'s snapshot through instance \(point)")
        let copy = servedSnapshot(of: peer, point: point)
        let image = copy.image
        let resumedAt: Int
        do {
            resumedAt = try nodes[index].disk.receiveSnapshot(instance: point, totalBytes: image.count)
        } catch {
            storageFailed(index, error)
            return
        }
        if resumedAt > 0 { figures.coverage.count(.snapshotTransferResumed) }
        nodes[index].snapshotTransfer = copy
        writeSnapshotChunk(node: index, life: life)
        // A crash aimed at the install, as `contend` aims proposers at the frontier: at a
        // random moment of it (between or inside the chunks, once the file is stored, before
        // the checkpoint is synced), if a majority stays up then.
        if crashFaults, faultsActive {
            let chunks = UInt64((image.count - resumedAt) / Self.snapshotChunkBytes + 1)
            queue.schedule(.crashDuringInstall(node: index, life: life),
                           at: now + randomValue(in: 1...((chunks + 2) * syncMicroseconds + 1)))
        }
    }

    /// The peer's snapshot of its point: the bytes its snapshot file holds (`SnapshotStore.write`'s
    /// layout), and the lines and records they encode. Made once per point.
    private func servedSnapshot(of peer: Int, point: InstanceNumber) -> SnapshotCopy {
        if let served = nodes[peer].servedSnapshot, served.point == point { return served }
        let lines = Array(nodes[peer].file.prefix(nodes[peer].snapshotLines))
        let records = nodes[peer].snapshotMetadata
        let image = SnapshotFormat.image(instance: point, metadata: SnapshotMetadata.encode(records),
                                         fileBytes: ReplicatedFile.render(lines))
        let copy = SnapshotCopy(point: point, image: image, lines: lines, records: records)
        nodes[peer].servedSnapshot = copy
        return copy
    }

    /// Writes the transfer's next chunk, not synced yet; its sync comes a while later.
    private func writeSnapshotChunk(node index: Int, life: UInt32) {
        guard let copy = nodes[index].snapshotTransfer else { return }
        do {
            try nodes[index].disk.writeSnapshotChunk(of: copy.image, bytesMax: Self.snapshotChunkBytes)
        } catch {
            storageFailed(index, error)
            return
        }
        queue.schedule(.snapshotChunkSynced(node: index, life: life), at: now + syncDuration())
    }

    /// A chunk is synced: the next one is written, or the complete file is verified and renamed
    /// into place (step 2).
    func snapshotChunkSynced(node index: Int, life: UInt32) {
        guard nodes[index].isUp, nodes[index].life == life, nodes[index].isReceivingSnapshot else { return }
        do {
            if try !nodes[index].disk.syncSnapshotChunk() {
                writeSnapshotChunk(node: index, life: life)
                return
            }
        } catch {
            storageFailed(index, error)
            return
        }
        let snapshot: Snapshot
        do {
            snapshot = try nodes[index].disk.finishSnapshot()
        } catch let error as StorageError where error.kind == .invalidSnapshot {
            // A resumed transfer whose torn part held garbage: deleted, fetched again later.
            trace?.note("S\(index + 1) refuses the snapshot it received: \(error)")
            figures.coverage.count(.snapshotRefused)
            nodes[index].snapshotTransfer = nil
            nodes[index].fetchingSnapshot = false
            return
        } catch {
            storageFailed(index, error)
            return
        }
        trace?.note("S\(index + 1) stored the snapshot through instance \(snapshot.instance)")
        nodes[index].storedSnapshot = snapshot
        queue.schedule(.snapshotStored(node: index, life: life), at: now + syncDuration())
    }

    /// Step 3: the replicated file becomes the stored snapshot's lines, the core jumps to its
    /// point, and the log gets a checkpoint (in one turn, as the live node's actor does).
    func installStoredSnapshot(node index: Int, life: UInt32) {
        guard nodes[index].isUp, nodes[index].life == life, let snapshot = nodes[index].storedSnapshot,
              let sent = nodes[index].snapshotTransfer else { return }
        nodes[index].storedSnapshot = nil
        nodes[index].snapshotTransfer = nil
        nodes[index].fetchingSnapshot = false
        guard snapshot.instance > nodes[index].core.appliedThrough else {
            // Caught up meanwhile by the log's catch-up: the live node deletes the stale file
            // (without a directory sync: a crash may bring it back, and start-up judges it).
            nodes[index].disk.discardSnapshot(snapshot)
            return
        }
        // What the node installs is what its disk holds. Byte for byte what the peer sent
        // (the usual case), it is the lines and records the peer's bytes encode; otherwise
        // (pieces of two transfers, a torn piece with garbage: the checksum should have refused
        // them) it is decoded from the bytes, and judged by the checkers.
        let stored: [UInt8]
        do {
            stored = try nodes[index].disk.snapshotBytes(snapshot)
        } catch {
            storageFailed(index, error)
            return
        }
        let records: [DurableRecord], lines: [FileEntry]
        if stored == sent.image {
            (records, lines) = (sent.records, sent.lines)
        } else {
            do {
                records = try SnapshotMetadata.decode(snapshot.metadata)
            } catch {
                checker.fail(.recovery, "S\(index + 1) stored a verified snapshot through instance \(snapshot.instance) whose applied state does not decode: \(error)")
                return
            }
            guard case .compacted(let point, let lineCount)? = records.first, point == snapshot.instance,
                  let decoded = storedSnapshotLines(node: index, snapshot, lines: lineCount) else {
                if checker.violation == nil {
                    checker.fail(.recovery, "S\(index + 1) stored a verified snapshot through instance \(snapshot.instance) for another point")
                }
                return
            }
            lines = decoded
        }
        let point = snapshot.instance
        trace?.beginStep(at: now, "S\(index + 1) installs the snapshot through instance \(point)")
        figures.coverage.count(.snapshotInstalled)
        nodes[index].file = lines
        for (line, entry) in lines.enumerated() { checker.nodeWroteLine(index, lineIndex: line, entry: entry) }
        absorb(nodes[index].core.installSnapshot(records), node: index)
        if nodes[index].core.compactedThrough == point {
            nodes[index].pointOfStoredSnapshot = point
            let followingSync = nodes[index].syncInFlight ? nodes[index].syncEndsAt : nil
            compactLog(node: index, through: point, lines: lines.count)
            nodes[index].installCheckpointTicket = nodes[index].appendedTicket
            aimCrashAtRebuiltInstall(node: index, life: life, followingSync: followingSync)
        }
    }

    /// The lines of a stored snapshot's file; nil (and a violation) if they do not parse or are
    /// not as many as its point says: the snapshot passed its checks, so it must be whole.
    func storedSnapshotLines(node index: Int, _ snapshot: Snapshot, lines: UInt64) -> [FileEntry]? {
        let bytes: [UInt8]
        do {
            bytes = try nodes[index].disk.snapshotParts(snapshot).fileBytes
        } catch {
            storageFailed(index, error)
            return nil
        }
        guard let entries = ReplicatedFile.entries(parsing: bytes), entries.count == Int(lines) else {
            checker.fail(.recovery, "S\(index + 1)'s snapshot through instance \(snapshot.instance) passed its checks, but its file is not the \(lines) lines of its point")
            return nil
        }
        return entries
    }

    /// A rebuilt node just installed a snapshot: half the time, a crash is aimed before the
    /// install's checkpoint is durable, so that the node restarts from the stored snapshot
    /// alone and votes because of it. The next point past it (`finishCompaction`) is then
    /// where deleting that snapshot too early brings the node back behind its fence.
    private func aimCrashAtRebuiltInstall(node index: Int, life: UInt32, followingSync: SimulatedTime?) {
        guard crashFaults, faultsActive, nodes[index].rebuiltSinceDiskLoss, random.next() % 2 == 0 else { return }
        let end = followingSync.map { $0 + syncMicroseconds } ?? nodes[index].syncEndsAt
        queue.schedule(.crashBeforeSynced(node: index, life: life, ticket: nodes[index].installCheckpointTicket, window: .install),
                       at: randomValue(in: (now + 1)...max(end, now + 1)))
    }

    /// An aimed crash before `ticket` (a checkpoint) is durable, if it still is not and a
    /// majority stays up.
    func crashBeforeSynced(node index: Int, life: UInt32, ticket: UInt64, window: AimedCheckpoint) {
        guard faultsActive, nodes[index].isUp, nodes[index].life == life, nodes[index].syncedTicket < ticket,
              mayCrashAnother else { return }
        switch window {
        case .install: figures.coverage.count(.crashBeforeInstallCheckpointOfRebuiltNode)
        case .pointPastStoredSnapshot: figures.coverage.count(.crashBeforeCheckpointOverStoredSnapshot)
        }
        crashAndRestartLater(index)
    }

    /// A crash aimed at a node in the middle of an install (if a majority stays up).
    func crashDuringInstall(node index: Int, life: UInt32) {
        guard faultsActive, nodes[index].isUp, nodes[index].life == life, nodes[index].isInstallingSnapshot,
              mayCrashAnother else { return }
        crashAndRestartLater(index)
    }

    /// Without files (`RecordDisk`): the peer's snapshot replaces the node's file, the core
    /// jumps to the point, and the log gets a checkpoint, in one step.
    private func installFromPeerModel(node index: Int, from peer: Int) {
        nodes[index].fetchingSnapshot = false
        guard nodes[peer].isUp, case .compacted(let point, _)? = nodes[peer].snapshotMetadata.first,
              point > nodes[index].core.appliedThrough else { return }
        trace?.beginStep(at: now, "S\(index + 1) installs S\(peer + 1)'s snapshot through instance \(point)")
        figures.coverage.count(.snapshotInstalled)
        let lines = nodes[peer].snapshotLines
        nodes[index].file = Array(nodes[peer].file.prefix(lines))
        for (line, entry) in nodes[index].file.enumerated() { checker.nodeWroteLine(index, lineIndex: line, entry: entry) }
        let metadata = nodes[peer].snapshotMetadata
        nodes[index].disk.storeInstalledSnapshot(metadata)
        absorb(nodes[index].core.installSnapshot(metadata), node: index)
        if nodes[index].core.compactedThrough == point {
            nodes[index].pointOfStoredSnapshot = point
            let followingSync = nodes[index].syncInFlight ? nodes[index].syncEndsAt : nil
            compactLog(node: index, through: point, lines: lines)
            nodes[index].installCheckpointTicket = nodes[index].appendedTicket
            aimCrashAtRebuiltInstall(node: index, life: nodes[index].life, followingSync: followingSync)
        }
    }
}
