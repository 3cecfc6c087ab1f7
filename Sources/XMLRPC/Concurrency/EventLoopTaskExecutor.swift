import NIOCore

/// Runs Swift tasks on one NIO event loop. A request's task, the actor it calls (when that
/// actor's executor is the same loop) and the channel that answers then share one thread:
/// no hand-off to the global pool and back for every request, which a profile of a busy node
/// showed as its largest cost (thread wake-ups and context switches).
///
/// Written here because NIO makes its event loops serial executors (for actors) but, in the
/// versions this package uses, not task executors.
public final class EventLoopTaskExecutor: TaskExecutor, Sendable {
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}

/// One task executor per loop of a group, made once, so that a connection's task runs on the
/// connection's own loop.
public struct EventLoopTaskExecutors: Sendable {
    private let executors: [ObjectIdentifier: EventLoopTaskExecutor]

    public init(group: any EventLoopGroup) {
        var executors: [ObjectIdentifier: EventLoopTaskExecutor] = [:]
        for loop in group.makeIterator() { executors[ObjectIdentifier(loop)] = EventLoopTaskExecutor(loop) }
        self.executors = executors
    }

    public func executor(for loop: any EventLoop) -> EventLoopTaskExecutor? {
        executors[ObjectIdentifier(loop)]
    }
}
