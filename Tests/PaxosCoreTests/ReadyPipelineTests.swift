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
}
