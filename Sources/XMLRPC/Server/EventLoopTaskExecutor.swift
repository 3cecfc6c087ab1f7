import NIOCore

/// Runs Swift tasks on one NIO event loop (SE-0417 task executor preference).
///
/// A task started with this preference, which calls an actor whose executor is the same loop,
/// never changes thread: the handler of a call, the actor's step and the answer's write all
/// run on the loop, with no thread woken on the way. NIO offers the loop as a `SerialExecutor`
/// (for actors) but not as a `TaskExecutor` (for tasks), hence these few lines.
public final class EventLoopTaskExecutor: TaskExecutor, Sendable {
    public let loop: any EventLoop

    public init(_ loop: any EventLoop) {
        self.loop = loop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
