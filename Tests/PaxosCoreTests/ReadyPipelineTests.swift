import PaxosCore
import Testing

// The order in which a shell performs Readies (ReadyPipeline), used by the live node and the
// simulator alike.

@Suite("Ready pipeline: persist before the rest, Readies in order, own messages after")
struct ReadyPipelineTests {
    func ready(_ reply: RequestID) -> Ready {
        var ready = Ready()
        ready.replies = [.failed(reply, .noQuorum)]
        return ready
    }

    @Test("a Ready whose records are durable and with nothing before it is performed at once")
    func durableReadyAtOnce() {
        var pipeline = ReadyPipeline()
        #expect(pipeline.add(ready(1), persistTicket: 1, durableTicket: 1)?.replies.first?.request == 1)
        #expect(pipeline.add(ready(2), persistTicket: nil, durableTicket: 1)?.replies.first?.request == 2)
        #expect(pipeline.isIdle)
    }

    @Test("a Ready waits for its records; a later one without records waits behind it; both leave in order once durable")
    func laterReadyWaitsBehind() {
        var pipeline = ReadyPipeline()
        #expect(pipeline.add(ready(1), persistTicket: 5, durableTicket: 4) == nil)
        #expect(pipeline.add(ready(2), persistTicket: nil, durableTicket: 5) == nil, "held: an earlier Ready is still held")
        #expect(pipeline.awaitedTicket(durableTicket: 4) == 5)
        #expect(pipeline.takeReady(durableTicket: 4) == nil)
        #expect(pipeline.takeReady(durableTicket: 5)?.replies.first?.request == 1)
        #expect(pipeline.takeReady(durableTicket: 5)?.replies.first?.request == 2)
        #expect(pipeline.takeReady(durableTicket: 5) == nil)
        #expect(pipeline.awaitedTicket(durableTicket: 5) == nil)
    }

    @Test("one wait covers every Ready held: the ticket awaited is the last one handed over")
    func oneWaitPerBatch() {
        var pipeline = ReadyPipeline()
        _ = pipeline.add(ready(1), persistTicket: 1, durableTicket: 0)
        _ = pipeline.add(ready(2), persistTicket: 2, durableTicket: 0)
        _ = pipeline.add(ready(3), persistTicket: 3, durableTicket: 0)
        #expect(pipeline.awaitedTicket(durableTicket: 0) == 3)
        #expect(pipeline.takeReady(durableTicket: 2)?.replies.first?.request == 1)
        #expect(pipeline.takeReady(durableTicket: 2)?.replies.first?.request == 2)
        #expect(pipeline.takeReady(durableTicket: 2) == nil, "ticket 3 is not durable yet")
    }

    @Test("a message to itself waits while a durable Ready is left to perform, and for nothing else")
    func ownMessagesAfterReadies() {
        var pipeline = ReadyPipeline()
        pipeline.addOwnMessage(.status(appliedThrough: 1))
        _ = pipeline.add(ready(1), persistTicket: 1, durableTicket: 0)
        #expect(pipeline.takeReady(durableTicket: 1)?.replies.first?.request == 1)
        #expect(pipeline.takeOwnMessage() == .status(appliedThrough: 1))
        #expect(pipeline.isIdle)
    }

    @Test("a crash empties the pipeline; tickets keep counting")
    func crashEmpties() {
        var pipeline = ReadyPipeline()
        _ = pipeline.add(ready(1), persistTicket: 7, durableTicket: 0)
        pipeline.addOwnMessage(.status(appliedThrough: 1))
        pipeline.removeAll()
        #expect(pipeline.isIdle && pipeline.lastTicket == 7)
    }

    // A peer call's steps (`add(batch:)`), as the live node's `paxos.peer` and the simulator's
    // peer calls take them.

    func ready(_ reply: RequestID, records: [DurableRecord], later: [DurableRecord] = []) -> Ready {
        var ready = ready(reply)
        ready.persist = records
        ready.persistEventually = later
        return ready
    }

    @Test("a batch's records go to the log in step order, those that nobody waits for after the rest")
    func batchRecordsInOrder() {
        let batch = [ready(1, records: [.round(1)], later: [.round(10)]), ready(2, records: []),
                     ready(3, records: [.round(3), .round(4)], later: [.round(30)])]
        let records = ReadyPipeline.records(of: batch)
        #expect(records.persist == [.round(1), .round(3), .round(4)])
        #expect(records.eventually == [.round(10), .round(30)])
    }

    @Test("every step of a batch waits for the batch's records, in order, a step without records included")
    func batchWaitsForItsTicket() {
        var pipeline = ReadyPipeline()
        // A step without records first: it waits for nothing, and leaves at once.
        let batch = [ready(1, records: []), ready(2, records: [.round(2)]), ready(3, records: []), ready(4, records: [.round(4)])]
        let now = pipeline.add(batch: batch, persistTicket: 1, durableTicket: 0)
        #expect(now.map { $0.replies.first?.request } == [1])
        #expect(pipeline.awaitedTicket(durableTicket: 0) == 1)
        #expect(pipeline.takeReady(durableTicket: 0) == nil, "the batch's records are not durable yet")
        var released: [RequestID?] = []
        while let ready = pipeline.takeReady(durableTicket: 1) { released.append(ready.replies.first?.request) }
        #expect(released == [2, 3, 4])
        #expect(pipeline.isIdle)
    }

    @Test("a batch whose records are durable, with nothing held before it, is performed at once, in order")
    func durableBatchAtOnce() {
        var pipeline = ReadyPipeline()
        let now = pipeline.add(batch: [ready(1, records: [.round(1)]), ready(2, records: [])], persistTicket: 3, durableTicket: 3)
        #expect(now.map { $0.replies.first?.request } == [1, 2])
        // Behind a held Ready, a batch without records waits too.
        _ = pipeline.add(ready(3), persistTicket: 4, durableTicket: 3)
        let behind = pipeline.add(batch: [ready(5, records: [])], persistTicket: nil, durableTicket: 3)
        #expect(behind.isEmpty)
        #expect(pipeline.takeReady(durableTicket: 4)?.replies.first?.request == 3)
        #expect(pipeline.takeReady(durableTicket: 4)?.replies.first?.request == 5)
    }
}
