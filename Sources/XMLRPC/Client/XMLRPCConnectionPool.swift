import NIOCore
import Synchronization

/// The kept-alive connections to one endpoint: at most `connectionsMax` open at once, idle
/// ones reused most-recent first, callers beyond the maximum queued in arrival order until a
/// connection is released or their deadline passes.
final class XMLRPCConnectionPool: Sendable {
    struct Connection: Sendable {
        let channel: any Channel
        /// Requests already completed on this connection; 0 means freshly opened.
        var completedRequests: Int
    }

    /// What `acquire` grants: a connection to reuse, or permission to open one (counted
    /// against the maximum already).
    enum Grant: Sendable {
        case reuse(Connection)
        case open
    }

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Grant, any Error>
        let timer: Scheduled<Void>?
    }

    private struct State {
        var idle: [Connection] = []
        var openCount = 0
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var isShutDown = false
        var all: [ObjectIdentifier: any Channel] = [:]
    }

    private let connectionsMax: Int
    private let timerLoop: any EventLoop
    private let state = Mutex(State())

    init(connectionsMax: Int, timerLoop: any EventLoop) {
        self.connectionsMax = connectionsMax
        self.timerLoop = timerLoop
    }

    func acquire(deadline: NIODeadline) async throws -> Grant {
        try await withCheckedThrowingContinuation { continuation in
            let immediate: Result<Grant, any Error>? = state.withLock { state in
                if state.isShutDown { return .failure(XMLRPCTransportError.shutDown) }
                while let connection = state.idle.popLast() {
                    if connection.channel.isActive { return .success(.reuse(connection)) }
                    state.openCount -= 1  // closed while idle (server idle timeout)
                }
                if state.openCount < connectionsMax {
                    state.openCount += 1
                    return .success(.open)
                }
                let id = state.nextWaiterID
                state.nextWaiterID += 1
                let timer = timerLoop.scheduleTask(deadline: deadline) { [weak self] in
                    guard let self else { return }
                    expireWaiter(id)
                }
                state.waiters.append(Waiter(id: id, continuation: continuation, timer: timer))
                return nil
            }
            if let immediate { continuation.resume(with: immediate) }
        }
    }

    private func expireWaiter(_ id: UInt64) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: XMLRPCTransportError.timedOut)
    }

    /// A connection opened after an `.open` grant starts being tracked for shutdown.
    func opened(_ channel: any Channel) -> Bool {
        state.withLock { state in
            guard !state.isShutDown else { return false }
            state.all[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    /// Gives back an `.open` grant whose connect failed.
    func openFailed() {
        let next = state.withLock { state -> Waiter? in
            state.openCount -= 1
            return takeWaiterForNewConnection(&state)
        }
        if let next {
            next.timer?.cancel()
            next.continuation.resume(returning: .open)
        }
    }

    /// Returns a connection after a call. Unless `reusable` it is closed and its slot freed.
    func release(_ connection: Connection, reusable: Bool) {
        let keep = reusable && connection.channel.isActive
        let handOff = state.withLock { state -> (Waiter, Grant)? in
            if keep && !state.isShutDown {
                if !state.waiters.isEmpty { return (state.waiters.removeFirst(), .reuse(connection)) }
                state.idle.append(connection)
                return nil
            }
            state.openCount -= 1
            state.all.removeValue(forKey: ObjectIdentifier(connection.channel))
            return takeWaiterForNewConnection(&state).map { ($0, .open) }
        }
        if !keep || handOff == nil && isShutDown { connection.channel.close(promise: nil) }
        if let (waiter, grant) = handOff {
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: grant)
        }
    }

    private func takeWaiterForNewConnection(_ state: inout State) -> Waiter? {
        guard !state.isShutDown, !state.waiters.isEmpty, state.openCount < connectionsMax else { return nil }
        state.openCount += 1
        return state.waiters.removeFirst()
    }

    /// Whether every connection is in use (for tests).
    var isExhausted: Bool { state.withLock { $0.idle.isEmpty && $0.openCount >= connectionsMax } }

    private var isShutDown: Bool { state.withLock { $0.isShutDown } }

    func shutdown() async {
        let (channels, waiters) = state.withLock { state in
            state.isShutDown = true
            let taken = (Array(state.all.values), state.waiters)
            state.waiters = []
            state.idle = []
            state.all = [:]
            return taken
        }
        for waiter in waiters {
            waiter.timer?.cancel()
            waiter.continuation.resume(throwing: XMLRPCTransportError.shutDown)
        }
        for channel in channels {
            try? await channel.close()
        }
    }
}
