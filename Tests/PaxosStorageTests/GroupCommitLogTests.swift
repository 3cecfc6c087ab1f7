import Foundation
import PaxosCore
@testable import PaxosStorage
import Testing

@Suite("Group commit")
struct GroupCommitLogTests {
    @Test(arguments: DiskKind.allCases)
    func concurrentAppendsAreAllAnsweredAndReadBackInTicketOrder(kind: DiskKind) async throws {
        try await withDisk(kind) { disk in
            let (log, _) = try PaxosLog.open(directory: disk.directory, fileSystem: disk.fileSystem)
            let group = GroupCommitLog(log: log)
            let tasks = 16
            let appendsPerTask = 25
            let tickets = try await withThrowingTaskGroup(of: [(UInt64, DurableRecord)].self) { taskGroup in
                for task in 0..<tasks {
                    taskGroup.addTask {
                        var mine: [(UInt64, DurableRecord)] = []
                        for index in 0..<appendsPerTask {
                            let record = chosenRecord(InstanceNumber(task * appendsPerTask + index + 1))
                            let ticket = try group.append([record])
                            try await group.waitUntilDurable(ticket)
                            #expect(group.durableTicket >= ticket)
                            mine.append((ticket, record))
                        }
                        return mine
                    }
                }
                return try await taskGroup.reduce(into: []) { $0 += $1 }
            }
            let appends = tasks * appendsPerTask
            #expect(group.durableTicket == UInt64(appends))
            #expect(group.syncCount <= appends)
            group.close()

            let expected = tickets.sorted { $0.0 < $1.0 }.map(\.1)
            #expect(Set(tickets.map(\.0)).count == appends, "tickets are unique")
            #expect(try PaxosLog.readRecords(directory: disk.directory, fileSystem: disk.fileSystem) == expected)
        }
    }

    @Test func appendsWithoutWaitingShareFsyncsOnARealDisk() async throws {
        try await withDisk(.posix) { disk in
            let (log, _) = try PaxosLog.open(directory: disk.directory, fileSystem: disk.fileSystem)
            let group = GroupCommitLog(log: log)
            let appends = 500
            let tickets = try await withThrowingTaskGroup(of: UInt64.self) { taskGroup in
                for index in 1...appends {
                    taskGroup.addTask {
                        let ticket = try group.append([chosenRecord(InstanceNumber(index))])
                        try await group.waitUntilDurable(ticket)
                        return ticket
                    }
                }
                return try await taskGroup.reduce(into: []) { $0.append($1) }
            }
            #expect(tickets.count == appends)
            #expect(group.syncCount < appends, "group commit batched \(appends) appends into \(group.syncCount) fsyncs")
            group.close()
            #expect(try PaxosLog.readRecords(directory: disk.directory, fileSystem: disk.fileSystem).count == appends)
        }
    }

    /// The rule itself, deterministically: while one fsync runs, every append waits for the
    /// next one, and that single next fsync covers them all. An append costs its caller (the
    /// node's thread) no system call: the sync thread writes everything staged since its last
    /// round in one write, before the fsync that covers it.
    @Test func recordsArrivingDuringAnFsyncGoIntoTheNextFsyncInOneWrite() async throws {
        let fileSystem = GatedFileSystem()
        let (log, _) = try PaxosLog.open(directory: "/d", fileSystem: fileSystem)
        let group = GroupCommitLog(log: log)
        fileSystem.gate.close()
        let first = try group.append([chosenRecord(1)])
        try await fileSystem.gate.waitUntilSomeoneIsHeld()
        let writesBefore = fileSystem.memory.statistics.writes
        let later = try (2...50).map { try group.append([chosenRecord($0)]) }
        #expect(group.durableTicket == 0)
        #expect(fileSystem.memory.statistics.writes == writesBefore, "an append wrote to the file itself")
        fileSystem.gate.open()
        try await group.waitUntilDurable(first)
        for ticket in later { try await group.waitUntilDurable(ticket) }
        #expect(group.syncCount == 2)
        #expect(fileSystem.memory.statistics.fileSyncs == 2)
        #expect(fileSystem.memory.statistics.writes == writesBefore + 1, "49 appends in one write")
        group.close()
        #expect(try PaxosLog.readRecords(directory: "/d", fileSystem: fileSystem.memory) == (1...50).map { chosenRecord($0) })
    }

    /// A checkpoint's segment switch runs on the sync thread, and its fsyncs hold up no append:
    /// while the old segment's fsync is held at the gate, appends are staged and return, and the
    /// next sync writes them into the new segment after the checkpoint.
    @Test func appendsGoOnWhileTheSyncThreadSwitchesSegmentsForACheckpoint() async throws {
        let fileSystem = GatedFileSystem()
        let (log, _) = try PaxosLog.open(directory: "/d", fileSystem: fileSystem)
        let group = GroupCommitLog(log: log)
        try await group.appendDurably([chosenRecord(1)])
        fileSystem.gate.close()
        let checkpoint: [DurableRecord] = [.incarnation(3), chosenRecord(1)]
        let compaction = try group.compact(checkpoint: checkpoint)
        try await fileSystem.gate.waitUntilSomeoneIsHeld()  // the switch: the old segment's fsync
        let finished = FinishFlag()
        let appending = Task.detached {
            defer { finished.set() }
            return try (2...20).map { try group.append([chosenRecord($0)]) }
        }
        // Generous: at the full suite's busy start a task may wait seconds for a thread.
        let deadline = ContinuousClock.now + .seconds(30)
        while !finished.isSet && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
        let stagedWhileHeld = finished.isSet
        fileSystem.gate.open()  // first: an append stuck behind the switch holds the group's lock
        #expect(stagedWhileHeld, "appends waited for the segment switch's fsync")
        let tickets = try await appending.value
        #expect(tickets.first! > compaction)
        for ticket in tickets { try await group.waitUntilDurable(ticket) }
        group.close()
        #expect(try PaxosLog.readRecords(directory: "/d", fileSystem: fileSystem.memory) == checkpoint + (2...20).map { chosenRecord($0) })
    }

    /// Persist before reply, with staged appends: power fails at a moment the test does not
    /// choose, while appends keep coming; every record whose ticket was reported durable before
    /// the crash is on the disk afterwards, in order (a sync thread that reported a ticket
    /// before writing what was staged would lose some).
    @Test func everyRecordReportedDurableSurvivesAPowerFailure() async throws {
        let fileSystem = InMemoryFileSystem()
        let (log, _) = try PaxosLog.open(directory: "/d", fileSystem: fileSystem)
        let group = GroupCommitLog(log: log)
        var appended: [(ticket: UInt64, record: DurableRecord)] = []
        for round in 0..<200 {
            for _ in 0..<(1 + round % 5) {
                let record = chosenRecord(InstanceNumber(appended.count + 1))
                appended.append((try group.append([record]), record))
            }
            if round % 3 == 0 { try await group.waitUntilDurable(appended.last!.ticket) }
        }
        let reached = group.durableTicket
        fileSystem.crash()
        group.close()
        let durable = appended.filter { $0.ticket <= reached }.count
        let survivors = try PaxosLog.readRecords(directory: "/d", fileSystem: fileSystem)
        #expect(durable > 0)
        #expect(survivors.count >= durable, "\(durable) records were reported durable, \(survivors.count) survived")
        #expect(survivors == appended.prefix(survivors.count).map(\.record), "the survivors are a prefix of the appends, in order")
    }

    @Test func anEmptyAppendReturnsTheLastTicketSoWaitingOrdersAfterEarlierAppends() async throws {
        let (log, _) = try PaxosLog.open(directory: "/d", fileSystem: InMemoryFileSystem())
        let group = GroupCommitLog(log: log)
        defer { group.close() }
        #expect(try group.append([]) == 0)
        try await group.waitUntilDurable(0)
        let ticket = try group.append([.round(1)])
        #expect(try group.append([]) == ticket)
        try await group.waitUntilDurable(try group.append([]))
        #expect(group.durableTicket >= ticket)
    }

    @Test func aFailedFsyncFailsEveryWaiterAndEveryLaterAppend() async throws {
        let fileSystem = GatedFileSystem()
        let (log, _) = try PaxosLog.open(directory: "/d", fileSystem: fileSystem)
        let group = GroupCommitLog(log: log)
        defer { group.close() }
        fileSystem.gate.close()
        let first = try group.append([.round(1)])
        try await fileSystem.gate.waitUntilSomeoneIsHeld()
        let second = try group.append([.round(2)])
        fileSystem.memory.injectSyncFailures(1)
        fileSystem.gate.open()
        for ticket in [first, second] {
            await #expect(throws: StorageError.self) { try await group.waitUntilDurable(ticket) }
        }
        #expect(group.durableTicket == 0)
        #expect { _ = try group.append([.round(3)]) } throws: { ($0 as? StorageError)?.kind == .logFailed }
        #expect { try group.reset(keepingIncarnation: 2) } throws: { ($0 as? StorageError)?.kind == .logFailed }
    }

    @Test func resetAnswersPendingWaitersAndLeavesOnlyTheIncarnation() async throws {
        let fileSystem = InMemoryFileSystem()
        let (log, _) = try PaxosLog.open(directory: "/d", fileSystem: fileSystem)
        let group = GroupCommitLog(log: log)
        let tickets = try (1...10).map { try group.append([chosenRecord($0)]) }
        try group.reset(keepingIncarnation: 4)
        for ticket in tickets { try await group.waitUntilDurable(ticket) }
        try await group.appendDurably([chosenRecord(1, "after reset")])
        group.close()
        fileSystem.crash()
        #expect(try PaxosLog.readRecords(directory: "/d", fileSystem: fileSystem) == [.incarnation(4), chosenRecord(1, "after reset")])
    }

    @Test func closeMakesPendingAppendsDurableAndRefusesLaterOnes() throws {
        let fileSystem = InMemoryFileSystem()
        let (log, _) = try PaxosLog.open(directory: "/d", fileSystem: fileSystem)
        let group = GroupCommitLog(log: log)
        for instance in 1...5 { _ = try group.append([chosenRecord(InstanceNumber(instance))]) }
        group.close()
        #expect(group.durableTicket == 5)
        #expect { _ = try group.append([.round(1)]) } throws: { ($0 as? StorageError)?.kind == .closed }
        fileSystem.crash()
        #expect(try PaxosLog.readRecords(directory: "/d", fileSystem: fileSystem).count == 5)
    }
}

extension GroupCommitLogTests {
    /// A group commit over a fresh log on an in-memory file system that can crash.
    static func group(lazySyncDelay: Duration) throws -> (InMemoryFileSystem, GroupCommitLog) {
        let fileSystem = InMemoryFileSystem()
        let (log, _) = try PaxosLog.open(directory: "/d", fileSystem: fileSystem)
        return (fileSystem, GroupCommitLog(log: log, lazySyncDelay: lazySyncDelay))
    }

    /// A decision's record (`appendLazily`) asks for no fsync of its own: the next record that
    /// must be durable shares one fsync with it, instead of waiting behind its fsync.
    @Test func aLazyRecordRidesWithTheNextFsyncAnyoneNeeds() async throws {
        let (fileSystem, group) = try Self.group(lazySyncDelay: .seconds(3_600))
        defer { group.close() }
        let lazy = try group.appendLazily([chosenRecord(1)])
        let urgent = try group.append([.round(2)])
        try await group.waitUntilDurable(urgent)
        #expect(group.durableTicket >= lazy)
        #expect(group.syncCount == 1, "one fsync for both records, not one each")
        fileSystem.crash()
        #expect(try PaxosLog.readRecords(directory: "/d", fileSystem: fileSystem) == [chosenRecord(1), .round(2)])
    }

    @Test func waitingForALazyRecordSyncsIt() async throws {
        let (_, group) = try Self.group(lazySyncDelay: .seconds(3_600))
        defer { group.close() }
        let lazy = try group.appendLazily([chosenRecord(1)])
        try await group.waitUntilDurable(lazy)
        #expect(group.durableTicket == lazy)
    }

    /// Nobody needs a sync: the lazy record is still made durable, within `lazySyncDelay`.
    @Test func aLazyRecordNobodyWaitsForIsSyncedAfterTheDelay() async throws {
        let (fileSystem, group) = try Self.group(lazySyncDelay: .milliseconds(20))
        defer { group.close() }
        let lazy = try group.appendLazily([chosenRecord(1)])
        try await waitUntil { group.durableTicket >= lazy }
        #expect(group.durableTicket == lazy)
        #expect(fileSystem.statistics.fileSyncs >= 1)
    }

    /// Both ways a lazy record reaches the disk unasked: while the sync thread is still watchful
    /// after a sync (it finds the record itself, nobody wakes it), and once a quiet spell has
    /// sent it to sleep without a deadline (the record must wake it, or it would wait forever).
    @Test func aLazyRecordIsSyncedWhetherTheSyncThreadWatchesOrSleeps() async throws {
        let (fileSystem, group) = try Self.group(lazySyncDelay: .milliseconds(4))
        defer { group.close() }
        // Right after a sync the thread is watchful (80 ms here), unless a loaded machine kept
        // this task away that long: not asserted, the record must be synced either way.
        try await group.appendDurably([.round(1)])
        let watched = try group.appendLazily([chosenRecord(1)])
        try await waitUntil { group.durableTicket >= watched }
        #expect(group.durableTicket >= watched, "a lazy record appended while the thread watched")
        try await waitUntil { group.isSleepingWithoutDeadline }
        #expect(group.isSleepingWithoutDeadline, "a quiet log's sync thread stops looking")
        let woken = try group.appendLazily([chosenRecord(2)])
        try await waitUntil { group.durableTicket >= woken }
        #expect(group.durableTicket >= woken, "a lazy record appended while the thread slept")
        fileSystem.crash()
        #expect(try PaxosLog.readRecords(directory: "/d", fileSystem: fileSystem) == [.round(1), chosenRecord(1), chosenRecord(2)])
    }

    /// The sync thread must outlive a lazy deadline that finds nothing left to sync: here an
    /// admin reset synced the lazy record while the thread waited for its deadline. (It once
    /// took "nothing to sync" for "closing" and stopped, and no fsync ever happened again.)
    @Test func aResetDuringALazyWaitLeavesTheSyncThreadRunning() async throws {
        let (_, group) = try Self.group(lazySyncDelay: .seconds(2))
        defer { group.close() }
        // The thread must be asleep until the lazy deadline when the reset syncs the record:
        // under a loaded machine the deadline may pass first, so try again until it is.
        var reached = false
        for instance in InstanceNumber(1)...5 where !reached {
            _ = try group.appendLazily([chosenRecord(instance)])
            try await waitUntil { group.isWaitingForLazyDeadline }
            try group.reset(keepingIncarnation: 2)
            reached = group.isWaitingForLazyDeadline
        }
        #expect(reached, "the reset never came while the sync thread waited for a lazy deadline")
        // The deadline passes with nothing left to sync; then a record needs an fsync.
        try await waitUntil { !group.isWaitingForLazyDeadline }
        let urgent = try group.append([.round(3)])
        try await waitUntil { group.durableTicket >= urgent }
        #expect(group.durableTicket >= urgent, "no fsync after the lazy deadline passed")
    }

    @Test func closeSyncsLazyRecords() throws {
        let (fileSystem, group) = try Self.group(lazySyncDelay: .seconds(3_600))
        _ = try group.appendLazily([chosenRecord(1)])
        group.close()
        fileSystem.crash()
        #expect(try PaxosLog.readRecords(directory: "/d", fileSystem: fileSystem) == [chosenRecord(1)])
    }
}

/// Set once by one thread, read by another.
final class FinishFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

/// An in-memory disk whose file syncs can be held at a gate, to observe what happens while an
/// fsync is in progress.
final class GatedFileSystem: InterceptingFileSystem, @unchecked Sendable {
    let gate = Gate()

    override func willChange(_ change: Change) throws {
        if change == .sync { gate.pass() }
    }

    /// Open: passes at once. Closed: holds the passing thread until opened.
    final class Gate: @unchecked Sendable {
        private let condition = NSCondition()
        private var isOpen = true
        private var held = 0
        /// How long a test waits for the sync thread to reach the gate before failing.
        static let arrivalTimeoutSeconds = 10.0

        func close() { condition.withLock { isOpen = false } }

        func open() {
            condition.withLock {
                isOpen = true
                condition.broadcast()
            }
        }

        func pass() {
            condition.withLock {
                held += 1
                while !isOpen { condition.wait() }
                held -= 1
            }
        }

        struct NobodyArrived: Error {}

        func waitUntilSomeoneIsHeld() async throws {
            let deadline = Date().addingTimeInterval(Self.arrivalTimeoutSeconds)
            while condition.withLock({ held == 0 }) {
                if Date() > deadline { throw NobodyArrived() }
                try await Task.sleep(nanoseconds: 1_000_000)
            }
        }
    }
}

/// Polls `condition` until it holds or 30 s pass; the caller's `#expect` says which.
private func waitUntil(_ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(30)
    while !condition() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
}
