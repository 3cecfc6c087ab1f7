import Foundation
import PaxosCore

/// Group commit for the live node: appends are written in order and return a ticket at once;
/// one dedicated thread fsyncs whatever has accumulated, so records arriving while an fsync
/// runs go into the next one (DESIGN.md section 4). One fsync then covers many Readys, which is
/// what lifts a node above the disk's fsyncs per second.
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
    // Guards every field below. Held while appending (one write syscall) so that ticket order is
    // file order; never held by the sync thread during an fsync.
    private let condition = NSCondition()
    private var appendedTicket: UInt64 = 0
    private var syncedTicket: UInt64 = 0
    private var waiters: [Waiter] = []
    private var failure: (any Error)?
    private var syncing = false
    private var closing = false
    private var syncThreadExited = false
    private var syncs = 0

    /// Told the duration of every fsync (for a latency histogram), on the sync thread.
    private let syncObserver: (@Sendable (Duration) -> Void)?

    public init(log: PaxosLog, syncObserver: (@Sendable (Duration) -> Void)? = nil) {
        self.log = log
        self.syncObserver = syncObserver
        let thread = Thread { [self] in runSyncThread() }
        thread.name = "paxos-group-commit"
        thread.start()
    }

    /// Writes `records` and returns their ticket (1, 2, 3...); durable once `durableTicket`
    /// reaches it. Empty `records` return the last ticket issued, so waiting for it still
    /// orders a reply after every earlier append.
    public func append(_ records: [DurableRecord]) throws -> UInt64 {
        condition.lock()
        defer { condition.unlock() }
        try checkUsable()
        if records.isEmpty { return appendedTicket }
        do {
            try log.append(records)
        } catch let error as StorageError where error.kind == .recordTooLarge {
            throw error  // refused before writing: the log is intact
        } catch {
            fail(with: error)
            throw error
        }
        appendedTicket += 1
        condition.broadcast()
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
            }
        }
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
        defer { condition.unlock() }
        while syncing { condition.wait() }
        try checkUsable()
        do {
            if syncedTicket < appendedTicket {
                try log.sync()
                syncs += 1
                markDurable(upTo: appendedTicket)
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
        condition.lock()
        defer {
            syncThreadExited = true
            condition.broadcast()
            condition.unlock()
        }
        while true {
            while syncedTicket == appendedTicket, failure == nil, !closing { condition.wait() }
            if failure != nil || syncedTicket == appendedTicket { return }
            let target = appendedTicket
            syncing = true
            condition.unlock()
            // Appends continue during the fsync; their tickets are above `target` and wait for
            // the next round, which is the whole point of group commit.
            let started = ContinuousClock.now
            let result = Result { try log.sync() }
            syncObserver?(ContinuousClock.now - started)
            condition.lock()
            syncing = false
            switch result {
            case .success:
                syncs += 1
                markDurable(upTo: target)
            case .failure(let error):
                fail(with: error)
            }
            condition.broadcast()
        }
    }

    // MARK: Helpers (with `condition` held)

    private func markDurable(upTo ticket: UInt64) {
        precondition(ticket >= syncedTicket, "durability never goes backwards")
        syncedTicket = ticket
        var pending: [Waiter] = []
        for waiter in waiters {
            if waiter.ticket <= ticket { waiter.continuation.resume() } else { pending.append(waiter) }
        }
        waiters = pending
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
