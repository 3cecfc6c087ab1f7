import Foundation
import PaxosCore
import PaxosStorage
import XMLRPC

/// Bounded history in the live node (DESIGN.md, "Bounded history"): snapshot points, the log's
/// checkpoints, and snapshots sent to and installed from peers.
///
/// - The replicated file is the state machine, and it only grows: its lines up to an instance
///   never change. A snapshot point is therefore cheap: sync the file, then write a checkpoint
///   into the log (`PaxosNode.compact`), after which the log's older segments go. No copy of
///   the file is made for it.
/// - A peer behind the point gets a snapshot file (`SnapshotStore`: the file's bytes through
///   the point and the applied state there, checksummed), written on first demand and sent in
///   chunks over `paxos.snapshot`; the receiver resumes a broken transfer where it stopped.
/// - Installing: the snapshot file is complete and renamed into place first, then the
///   replicated file is replaced by its bytes, then the core jumps, then the checkpoint. A
///   crash before the rename leaves the old state; after it, start-up finds a snapshot newer
///   than the log's point and starts from it (`NodeService.run`).
extension NodeRuntime {
    /// After lines reached the file: once `snapshotIntervalInstances` more are applied, the
    /// snapshot point moves to the file's last line. The file is synced off the actor.
    func compactIfDue() {
        let interval = options.snapshotIntervalInstances
        guard interval > 0, !compacting, !stopping,
              core.appliedThrough - core.compactedThrough >= interval,
              let point = file.lastInstance, point > core.compactedThrough else { return }
        compacting = true
        let fileBytes = file.byteCount
        let path = file.path
        let reader = file.reader
        let epoch = historyEpoch
        Task.detached {
            // The lines up to the point must be on the disk before the log forgets them.
            let synced = Result { try Self.syncFile(atPath: path) }
            // Their index spares a restart reading them all again; without it a restart scans.
            if case .success = synced { try? reader.saveIndex() }
            await self.finishCompaction(through: point, fileBytes: fileBytes, epoch: epoch, synced: synced)
        }
    }

    private func finishCompaction(through point: InstanceNumber, fileBytes: Int, epoch: UInt64, synced: Result<Void, any Error>) {
        compacting = false
        guard epoch == historyEpoch, !stopping, point > core.compactedThrough, point <= core.appliedThrough else { return }
        if case .failure(let error) = synced { failStop("cannot sync the replicated file: \(error)") }
        compactLog(through: point, fileBytes: fileBytes)
    }

    /// Moves the core's snapshot point and writes the checkpoint, in one turn of the actor: no
    /// record can come between the state the checkpoint restates and the checkpoint.
    func compactLog(through point: InstanceNumber, fileBytes: Int) {
        let compaction = core.compact(through: point, fileBytes: UInt64(fileBytes))
        do {
            checkpointTicket = try commitLog.compact(checkpoint: compaction.checkpoint)
        } catch {
            failStop("cannot write the log's checkpoint: \(error)")
        }
        snapshotMetadata = compaction.snapshotMetadata
        metrics.snapshotPointMoved(to: point)
        logger.info("snapshot point moved", metadata: [
            "through": "\(point)", "checkpointRecords": "\(compaction.checkpoint.count)", "fileBytes": "\(fileBytes)",
        ])
        // What the point freed goes back to the system: glibc keeps freed memory in its heaps
        // otherwise, and the node's resident size would stay at its busiest moment's. Off the
        // node's thread (malloc_trim walks every heap), once the checkpoint's buffers are freed.
        Task.detached(priority: .utility) { ProcessMemory.returnFreeMemory() }
        // Snapshots older than the point are of no use: start-up ignores them, and a peer is
        // sent the current point's.
        if let served = servedSnapshot, served.instance < point { servedSnapshot = nil }
        removeSnapshotsOnceDurable(olderThan: point)
    }

    /// Deletes the snapshots older than the point once the checkpoint at the point is durable.
    /// Until then a crash restarts from the log's previous state, and after an install that
    /// state may be the installed snapshot's file: deleted first, a crash before the fsync
    /// would bring the node back without the decisions it installed (a rebuilt node that said
    /// it voted, behind its fence). The simulator keeps the same order (`Simulation.compactLog`).
    func removeSnapshotsOnceDurable(olderThan point: InstanceNumber) {
        let ticket = checkpointTicket, log = commitLog, epoch = historyEpoch
        Task {
            // A log that failed stops the node: the files stay for its restart.
            guard (try? await log.waitUntilDurable(ticket)) != nil else { return }
            removeSnapshots(olderThan: point, epoch: epoch)  // on the actor: the task inherits it
        }
    }

    /// On the actor, so that a reset in between (a new era, whose snapshots may be below the
    /// old point) is seen: its work is then not this task's to undo.
    private func removeSnapshots(olderThan point: InstanceNumber, epoch: UInt64) {
        guard epoch == historyEpoch else { return }
        try? snapshots.removeSnapshots(olderThan: point)
    }

    /// fsync of a file by path: any descriptor of it flushes its data.
    nonisolated static func syncFile(atPath path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw StorageError(kind: .io, path: path, description: "open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard fdatasync(descriptor) == 0 else {
            throw StorageError(kind: .io, path: path, description: "fdatasync \(path): \(String(cString: strerror(errno)))")
        }
    }

    // MARK: - Serving a snapshot to a peer

    /// The snapshot of the current point, written to the store on the first request for it.
    func snapshotForPeer() async throws -> Snapshot {
        let point = core.compactedThrough
        guard point > 0, case .compacted(_, let fileBytes)? = snapshotMetadata.first else {
            throw ApplicationFault.notSupported.fault("node \(member.id) has no snapshot point yet")
        }
        if let served = servedSnapshot, served.instance == point { return served }
        if let materializing, materializing.point == point { return try await materializing.task.value }
        let metadata = SnapshotMetadata.encode(snapshotMetadata)
        let store = snapshots, path = file.path
        let task = Task.detached {
            try store.write(instance: point, metadata: metadata, fileBytesFrom: path, fileByteCount: Int(fileBytes))
        }
        materializing = (point, task)
        defer { if materializing?.point == point { materializing = nil } }
        let snapshot = try await task.value
        if core.compactedThrough == point {
            servedSnapshot = snapshot
            removeSnapshotsOnceDurable(olderThan: point)
        }
        logger.info("snapshot written for a peer", metadata: ["through": "\(point)", "bytes": "\(snapshot.totalBytes)"])
        return snapshot
    }

    // MARK: - Fetching and installing a peer's snapshot

    /// The core heard of a peer's snapshot point above what it applied: fetch that snapshot
    /// (one transfer at a time; a failed one is tried again at the next offer).
    func fetchSnapshot(_ offer: SnapshotOffer) {
        guard !fetchingSnapshot, !stopping, let peer = cluster.nodes.first(where: { $0.nodeID == offer.peer }) else { return }
        // Offers come with every catch-up answer: after a failure, wait a second before the next try.
        if let failed = snapshotFetchFailedAt, ContinuousClock.now - failed < .seconds(1) { return }
        fetchingSnapshot = true
        let epoch = historyEpoch
        // A snapshot is state: its chunks are believed only if the peer signed them for the call.
        var configuration = signing.clientConfiguration(as: .node(member.id))
        configuration.responseCheck = signing.answerCheck(from: .node(peer.id))
        let client = XMLRPCClient(host: peer.host, port: peer.port, path: "/RPC2", configuration: configuration)
        let store = snapshots
        logger.notice("fetching a snapshot", metadata: ["from": "\(peer.id)", "through": "\(offer.through)", "applied": "\(core.appliedThrough)"])
        Task {
            do {
                let started = ContinuousClock.now
                let snapshot = try await SnapshotFetch.run(client: client, store: store)
                await self.install(snapshot, epoch: epoch, transferred: ContinuousClock.now - started)
            } catch {
                self.snapshotFetchFailedAt = ContinuousClock.now
                self.logger.warning("snapshot transfer failed; it is tried again at the next offer", metadata: [
                    "from": "\(peer.id)", "error": "\(error)",
                ])
            }
            await client.shutdown()
            self.fetchingSnapshot = false
        }
    }

    /// Installs a fetched snapshot. The file's copy (hundreds of MB for a long history) is made
    /// off the actor while the node keeps serving; only the rename, the core's jump and the
    /// checkpoint happen on it, after checking again that the snapshot is still ahead.
    private func install(_ snapshot: Snapshot, epoch: UInt64, transferred: Duration) async {
        guard let records = snapshotToInstall(snapshot, epoch: epoch) else { return }
        let copyStarted = ContinuousClock.now
        let replacement = file.replacement(copyingSnapshot: snapshot)
        let prepared: ReplicatedFile.PreparedReplacement
        do {
            prepared = try await Task.detached { try replacement.prepare() }.value
        } catch {
            logger.error("cannot copy the snapshot's file; it is not installed", metadata: ["error": "\(error)"])
            return
        }
        guard snapshotToInstall(snapshot, epoch: epoch) != nil else {
            file.discard(prepared)
            return
        }
        do {
            try file.commit(prepared)
        } catch {
            // The rename is atomic: the old file is still there, and so is the old state.
            logger.error("cannot install the snapshot's file", metadata: ["error": "\(error)"])
            return
        }
        step { $0.installSnapshot(records) }
        compactLog(through: snapshot.instance, fileBytes: snapshot.fileByteCount)
        servedSnapshot = snapshot
        logger.notice("snapshot installed", metadata: [
            "through": "\(snapshot.instance)", "fileBytes": "\(snapshot.fileByteCount)",
            "transferSeconds": "\(transferred.seconds)", "copySeconds": "\((ContinuousClock.now - copyStarted).seconds)",
        ])
    }

    /// The snapshot's applied state if it is still worth installing and consistent with its file.
    private func snapshotToInstall(_ snapshot: Snapshot, epoch: UInt64) -> [DurableRecord]? {
        guard epoch == historyEpoch, !stopping, snapshot.instance > core.appliedThrough else {
            // Caught up meanwhile by the log's catch-up: the file would only be a stale leftover.
            if servedSnapshot?.instance != snapshot.instance { try? snapshots.fileSystem.remove(snapshot.path) }
            return nil
        }
        let records: [DurableRecord]
        do {
            records = try SnapshotMetadata.decode(snapshot.metadata)
        } catch {
            logger.warning("a snapshot's applied state does not decode; it is not installed", metadata: ["error": "\(error)"])
            return nil
        }
        guard case .compacted(let point, let fileBytes)? = records.first, point == snapshot.instance,
              fileBytes == UInt64(snapshot.fileByteCount) else {
            logger.warning("a snapshot's point disagrees with its file; it is not installed")
            return nil
        }
        return records
    }
}

/// The receiving side of `paxos.snapshot`: asks for chunks in order, appends each to a
/// `SnapshotReceiver` (synced, so a transfer broken by a crash resumes where it stopped), and
/// returns the verified snapshot. Everything the peer sends is checked before use.
enum SnapshotFetch {
    /// A snapshot larger than this is refused (the replicated file would not fit a disk anyway).
    static let totalBytesMax = 1 << 40
    static let chunkBytes = SnapshotTransferLimits.chunkBytes

    static func run(client: XMLRPCClient, store: SnapshotStore) async throws -> Snapshot {
        var receiver: SnapshotReceiver? = nil
        defer { receiver?.close() }
        var through = 0, offset = 0
        while true {
            let answer = try await client.call("paxos.snapshot", [.int(through), .int(offset)], timeout: .seconds(60))
            let chunk = try Chunk(answer)
            if receiver == nil || receiver?.instance != chunk.through || receiver?.totalBytes != chunk.totalBytes {
                receiver?.close()
                receiver = try SnapshotReceiver(store: store, instance: chunk.through, totalBytes: chunk.totalBytes)
            }
            guard let current = receiver else { continue }
            through = Int(chunk.through)
            if chunk.offset != current.receivedBytes {
                // A transfer resumed, or the peer moved to a newer point: ask for what is missing.
                offset = current.receivedBytes
                continue
            }
            try current.append(chunk.data, at: chunk.offset)
            offset = current.receivedBytes
            if current.isComplete { return try current.finish() }
            guard !chunk.data.isEmpty else { throw XMLRPCFault(code: XMLRPCFault.invalidParameters, message: "the peer sent an empty chunk before the end") }
        }
    }

    private struct Chunk {
        var through: UInt64
        var totalBytes: Int
        var offset: Int
        var data: [UInt8]

        init(_ value: XMLRPCValue) throws {
            guard case .struct(let s) = value, let through = s["through"]?.intValue, let total = s["totalBytes"]?.intValue,
                  let offset = s["offset"]?.intValue, let data = s["data"]?.base64Value,
                  through >= 1, total >= 1, total <= SnapshotFetch.totalBytesMax, offset >= 0, offset <= total,
                  data.count <= SnapshotFetch.chunkBytes, data.count <= total - offset else {
                throw XMLRPCFault(code: XMLRPCFault.invalidParameters, message: "the peer's snapshot chunk is malformed or out of bounds")
            }
            self.through = UInt64(through)
            self.totalBytes = total
            self.offset = offset
            self.data = data
        }
    }
}

public enum SnapshotTransferLimits {
    /// Bytes per `paxos.snapshot` answer: base64 makes them 4/3 as many characters, which must
    /// stay under the XML-RPC decoder's 1 MiB limit on one text (`XMLRPCDecodingLimits`).
    public static let chunkBytes = XMLRPCDecodingLimits.textBytesMaxDefault / 2
}
