import Foundation
import PaxosCore
#if canImport(Glibc)
import Glibc
#endif

/// Group commit for the live node: appends are staged in order and return a ticket at once;
/// one dedicated thread writes whatever has accumulated in one write and fsyncs it, so records
/// arriving while an fsync runs go into the next one (DESIGN.md section 4). One write and one
/// fsync then cover many Readys, which is what lifts a node above the disk's fsyncs per second,
/// and the node's own thread makes no system call for its records.
///
/// A failed fsync is fatal ("fsyncgate": the kernel may have dropped the dirty pages and will
/// not say so again): every waiter gets the error and every later append is refused. The node
/// must restart and recover from what the disk really holds.
///
/// `close()` must be called: the sync thread keeps this object alive until then.
public final class GroupCommitLog: @unchecked Sendable {
    private struct Waiter {
        var ticket: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private let log: PaxosLog
    // Guards every field below. Held while staging an append so that ticket order is file
    // order; never held by the sync thread during its write and fsync.
    private let condition = NSCondition()
    private var appendedTicket: UInt64 = 0
    private var syncedTicket: UInt64 = 0
    /// The highest ticket someone needs durable: an `append`, a compaction or a waiter. Records
    /// of `appendLazily` above it wait for the next sync anyone needs, or `lazySyncDelay`.
    private var demandedTicket: UInt64 = 0
    /// When the oldest unsynced lazy record must be synced at the latest, if there is one.
    private var lazyDeadline: Date?
    private var waitingForLazyDeadline = false
    /// The sync thread waits with no deadline at all (see `waitForWork`): only then does a lazy
    /// record have to wake it.
    private var sleepingWithoutDeadline = false
    private var waiters: [Waiter] = []
    private var failure: (any Error)?
    private var syncing = false
    private var closing = false
    private var syncThreadExited = false
    private var syncs = 0
    /// Tickets of compactions staged and not yet durable.
    private var compactions: [UInt64] = []

    /// Told the duration of every fsync (for a latency histogram), on the sync thread.
    private let syncObserver: (@Sendable (Duration) -> Void)?
    /// How long records of `appendLazily` may stay unsynced when nobody needs a sync.
    public let lazySyncDelay: Duration
    private let lazySyncSeconds: TimeInterval

    public init(log: PaxosLog, lazySyncDelay: Duration = .milliseconds(5), syncObserver: (@Sendable (Duration) -> Void)? = nil) {
        self.log = log
        self.lazySyncDelay = lazySyncDelay
        let parts = lazySyncDelay.components
        self.lazySyncSeconds = Double(parts.seconds) + Double(parts.attoseconds) / 1e18
        self.syncObserver = syncObserver
        let thread = Thread { [self] in runSyncThread() }
        thread.name = "paxos-group-commit"
        thread.start()
    }

    /// The bytes of records in the log's live segments (what has been appended, durable or not).
    public var logSizeBytes: Int { log.size }

    /// Writes `records` and returns their ticket (1, 2, 3...); durable once `durableTicket`
    /// reaches it, which the sync thread starts on at once. Empty `records` return the last
    /// ticket issued, so waiting for it still orders a reply after every earlier append.
    public func append(_ records: [DurableRecord]) throws -> UInt64 {
        try write(records, demandingSync: true)
    }

    /// Writes `records` without asking for an fsync of their own: the next one anybody needs
    /// covers them, and nothing else waits longer than `lazySyncDelay`. For what a crash may
    /// lose without harm (a node's decisions, `Ready.persistEventually`): an fsync for them
    /// alone would delay the next record that must be durable (one fsync runs at a time).
    public func appendLazily(_ records: [DurableRecord]) throws -> UInt64 {
        try write(records, demandingSync: false)
    }

    private func write(_ records: [DurableRecord], demandingSync: Bool) throws -> UInt64 {
        condition.lock()
        var wakeSyncThread = false
        defer {
            condition.unlock()
            // After unlocking: a sync thread woken under the lock would at once block on it.
            if wakeSyncThread { condition.broadcast() }
        }
        try checkUsable()
        if records.isEmpty { return appendedTicket }
        do {
            try log.stage(records)
        } catch let error as StorageError where error.kind == .recordTooLarge {
            throw error  // refused before writing: the log is intact
        } catch {
            fail(with: error)
            throw error
        }
        appendedTicket += 1
        if demandingSync {
            demandedTicket = appendedTicket
            wakeSyncThread = true
        } else if lazyDeadline == nil {
            lazyDeadline = Date(timeIntervalSinceNow: lazySyncSeconds)
            wakeSyncThread = sleepingWithoutDeadline
        }
        return appendedTicket
    }

    /// Returns once an fsync has covered `ticket`; throws if the log failed before that.
    /// Not cancellable: an fsync in progress finishes in milliseconds, and an abandoned waiter
    /// would gain nothing.
    public func waitUntilDurable(_ ticket: UInt64) async throws {
        if durableTicket >= ticket { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            condition.lock()
            defer { condition.unlock() }
            precondition(ticket <= appendedTicket, "waiting for ticket \(ticket), but only \(appendedTicket) were issued")
            if syncedTicket >= ticket {
                continuation.resume()
            } else if let failure {
                continuation.resume(throwing: failure)
            } else {
                waiters.append(Waiter(ticket: ticket, continuation: continuation))
                if ticket > demandedTicket {
                    demandedTicket = ticket
                    condition.broadcast()
                }
            }
        }
    }

    /// Compaction: stages a new segment opening with `checkpoint` (see PaxosLog.compact), under
    /// the append lock so that every later append follows it, and returns its ticket. The sync
    /// thread starts the segment (and pays its two fsyncs), not the caller. When that ticket is
    /// durable, every older segment has been deleted and the directory synced: the sync thread
    /// deletes them before it reports the ticket, so a caller that waited for it can count on
    /// the disk space.
    ///
    /// `checkpoint` must hold everything the caller needs from the older segments: after the
    /// compaction, recovery starts from it and never reads them again.
    public func compact(checkpoint: [DurableRecord]) throws -> UInt64 {
        condition.lock()
        defer { condition.unlock() }
        try checkUsable()
        do {
            try log.stageCompaction(checkpoint: checkpoint)
        } catch let error as StorageError where error.kind == .recordTooLarge {
            throw error
        } catch {
            fail(with: error)
            throw error
        }
        appendedTicket += 1
        demandedTicket = appendedTicket
        compactions.append(appendedTicket)
        condition.broadcast()
        return appendedTicket
    }

    /// Appends and waits until the records are durable.
    public func appendDurably(_ records: [DurableRecord]) async throws {
        try await waitUntilDurable(try append(records))
    }

    /// The highest ticket an fsync has covered.
    public var durableTicket: UInt64 { condition.withLock { syncedTicket } }

    /// The highest ticket issued.
    public var lastTicket: UInt64 { condition.withLock { appendedTicket } }

    /// How many fsyncs this log has done: fewer than appends when group commit works.
    public var syncCount: Int { condition.withLock { syncs } }

    /// Admin reset: makes everything appended so far durable (so every waiter is answered
    /// truthfully), then replaces the log by one holding only the incarnation. Appends and
    /// syncs wait meanwhile.
    public func reset(keepingIncarnation incarnation: UInt64) throws {
        condition.lock()
        var durable: [Waiter] = []
        defer {
            condition.unlock()
            for waiter in durable { waiter.continuation.resume() }
        }
        while syncing { condition.wait() }
        try checkUsable()
        do {
            if syncedTicket < appendedTicket {
                try log.sync()
                syncs += 1
                try removeCompactedSegments(upTo: appendedTicket)
                durable = markDurable(upTo: appendedTicket)
            }
            try log.reset(keepingIncarnation: incarnation)
        } catch {
            fail(with: error)
            throw error
        }
    }

    /// Syncs what is pending, answers its waiters, stops the sync thread and closes the log.
    public func close() {
        condition.lock()
        closing = true
        condition.broadcast()
        while !syncThreadExited { condition.wait() }
        condition.unlock()
        log.close()
    }

    // MARK: The sync thread

    private func runSyncThread() {
        #if canImport(Glibc)
        // Foundation's `Thread.name` does not reach the kernel here, and glibc's
        // pthread_setname_np is not visible to Swift: the kernel's own file for this thread's
        // name, which `top -H`, `perf` and scripts/cpu-per-submit.sh show.
        let nameFile = open("/proc/thread-self/comm", O_WRONLY)
        if nameFile >= 0 {
            _ = "paxos-fsync".withCString { Glibc.write(nameFile, $0, strlen($0)) }
            Glibc.close(nameFile)
        }
        #endif
        condition.lock()
        defer {
            syncThreadExited = true
            condition.broadcast()
            condition.unlock()
        }
        while true {
            waitForWork()
            if failure != nil || (closing && syncedTicket == appendedTicket) { return }
            if syncedTicket == appendedTicket { continue }
            let target = appendedTicket
            // Compactions staged up to `target` are all staged now (tickets are issued under
            // this lock), so whether this sync makes one durable is known before it starts.
            let compacted = compactions.contains { $0 <= target }
            syncing = true
            condition.unlock()
            // Appends continue during the write and fsync; their tickets are above `target` and
            // wait for the next round, which is the whole point of group commit. (`log.sync`
            // writes what is staged first: every record up to `target` and perhaps a few more.)
            let started = ContinuousClock.now
            let result = Result { try log.sync() }
            syncObserver?(ContinuousClock.now - started)
            // A compaction made durable by this sync frees the older segments before its ticket
            // is reported (still outside the lock: appends go on meanwhile).
            let removal = Result {
                try result.get()
                if compacted { try removeSegmentsBeforeSyncedCheckpoint() }
            }
            condition.lock()
            syncing = false
            var durable: [Waiter] = []
            switch removal {
            case .success:
                syncs += 1
                compactions.removeAll { $0 <= target }
                durable = markDurable(upTo: target)
            case .failure(let error):
                fail(with: error)
            }
            condition.broadcast()
            if !durable.isEmpty {
                // Resumed after unlocking: a waiter's task runs on the node's loop, whose first
                // act is to read `durableTicket`. Resumed under the lock, the loop woke only to
                // block on it, and needed a second wake-up once this thread let go.
                condition.unlock()
                for waiter in durable { waiter.continuation.resume() }
                condition.lock()
            }
        }
    }

    /// Returns when a sync is needed (someone demands one, or a lazy record has waited
    /// `lazySyncDelay`), the log failed, or it is closing. A deadline that passes with nothing
    /// left to sync (an admin reset synced it meanwhile) is no work: the caller must not read
    /// "nothing to sync" as "closing" and stop the thread.
    ///
    /// With nothing to sync, the thread first stays watchful: it looks every half
    /// `lazySyncDelay` for a lazy record, so that a decision's record, appended after every
    /// sync under a steady load, costs no wake-up of its own (a futex call and a context
    /// switch, about one in five of a node's at one connection; the next record that needs an
    /// fsync usually takes it along first). A record found this way has waited at most half the
    /// delay and is synced when it has waited all of it. After `watchfulLooks` looks that find no
    /// new record, the thread sleeps without a deadline, and a lazy record wakes it as before:
    /// an idle node does not tick.
    private func waitForWork() {
        var quietLooks = 0
        while failure == nil, !closing, demandedTicket <= syncedTicket {
            if syncedTicket < appendedTicket, let lazyDeadline {
                waitingForLazyDeadline = true
                let timedOut = !condition.wait(until: lazyDeadline)
                waitingForLazyDeadline = false
                if timedOut && syncedTicket < appendedTicket { return }
            } else if quietLooks < Self.watchfulLooks {
                let ticketBefore = appendedTicket
                _ = condition.wait(until: Date(timeIntervalSinceNow: lazySyncSeconds / 2))
                quietLooks = appendedTicket == ticketBefore ? quietLooks + 1 : 0
            } else {
                sleepingWithoutDeadline = true
                condition.wait()
                sleepingWithoutDeadline = false
                quietLooks = 0
            }
        }
    }

    /// Looks for lazy records before the sync thread sleeps without a deadline: with the default
    /// 5 ms delay, 100 ms of quiet (40 looks).
    static let watchfulLooks = 40

    /// The sync thread sleeps until a lazy record's deadline (for tests of what wakes it).
    var isWaitingForLazyDeadline: Bool { condition.withLock { waitingForLazyDeadline } }

    /// The sync thread sleeps with no deadline: the next lazy record must wake it (for tests).
    var isSleepingWithoutDeadline: Bool { condition.withLock { sleepingWithoutDeadline } }

    // MARK: Helpers (with `condition` held)

    private func removeCompactedSegments(upTo ticket: UInt64) throws {
        if compactions.contains(where: { $0 <= ticket }) { try removeSegmentsBeforeSyncedCheckpoint() }
        compactions.removeAll { $0 <= ticket }
    }

    /// The sync that covered a compaction's ticket wrote its checkpoint first (everything staged
    /// before the ticket was), so the newest checkpoint synced is that one or a later one.
    private func removeSegmentsBeforeSyncedCheckpoint() throws {
        if let sequence = log.syncedCheckpointSegment { try log.removeSegments(before: sequence) }
    }

    /// Moves durability up to `ticket` and returns the waiters it satisfies, for the caller to
    /// resume once it has let go of the lock.
    private func markDurable(upTo ticket: UInt64) -> [Waiter] {
        precondition(ticket >= syncedTicket, "durability never goes backwards")
        syncedTicket = ticket
        // Records written during the fsync that may be lazy start their wait now.
        lazyDeadline = ticket == appendedTicket ? nil : Date(timeIntervalSinceNow: lazySyncSeconds)
        var pending: [Waiter] = []
        var durable: [Waiter] = []
        for waiter in waiters {
            if waiter.ticket <= ticket { durable.append(waiter) } else { pending.append(waiter) }
        }
        waiters = pending
        return durable
    }

    private func fail(with error: any Error) {
        if failure == nil { failure = error }
        for waiter in waiters { waiter.continuation.resume(throwing: error) }
        waiters = []
        condition.broadcast()
    }

    private func checkUsable() throws {
        if let failure {
            throw StorageError(
                kind: .logFailed, path: log.path,
                description: "the log \(log.path) failed earlier and refuses further use until the node restarts: \(failure)")
        }
        if closing { throw StorageError(kind: .closed, path: log.path, description: "the log \(log.path) is closed") }
    }
}
