/// The submits a node is working for, from the client's call (or a peer's forward) to the
/// answer: each command's state, the client waiting for it, and the queue of commands waiting
/// for an instance. The map from a waiting client to its command is kept here, beside the
/// submits, so that the two never disagree: every change that adds, answers or drops a client
/// goes through this type.
struct SubmitTracker: Hashable, Sendable {
    typealias PendingSubmit = PaxosNode.PendingSubmit

    private var pending: [CommandID: PendingSubmit] = [:]
    /// The client waiting for each command that has one: `pending[byRequest[r]]?.request == r`.
    private var byRequest: [RequestID: CommandID] = [:]
    /// Commands waiting for an instance (state `.queued`), in order.
    private var queue = FIFO<CommandID>()

    var count: Int { pending.count }

    func contains(_ commandID: CommandID) -> Bool { pending.index(forKey: commandID) != nil }

    /// Starts tracking `submit`; `queued` also puts it at the end of the queue.
    mutating func add(_ commandID: CommandID, _ submit: PendingSubmit, queued: Bool) {
        pending[commandID] = submit
        if let request = submit.request { byRequest[request] = commandID }
        if queued { queue.append(commandID) }
    }

    /// Changes the submit in place; nil if there is none. `change` must leave `request` alone
    /// (`takeOver` changes it). Through `values[index]` rather than `pending[commandID]?.…`:
    /// the dictionary's keyed modify accessor is a coroutine that is not inlined, and its
    /// frame, too big for the caller's buffer, went to the heap: two allocations per access, a
    /// third of the simulator's.
    @discardableResult
    mutating func update<Result>(_ commandID: CommandID, _ change: (inout PendingSubmit) -> Result) -> Result? {
        guard let index = pending.index(forKey: commandID) else { return nil }
        let request = pending.values[index].request
        defer { assert(pending.values[index].request == request, "a submit's client changes only through takeOver") }
        return change(&pending.values[index])
    }

    /// A client's retry of the command takes the place of the client waiting for it: returns
    /// that earlier client (to be told the outcome is unknown), if there was one; nil also when
    /// the command is not tracked (then `nil` tells nothing: ask `contains` first).
    mutating func takeOver(_ commandID: CommandID, for request: RequestID) -> RequestID? {
        guard let index = pending.index(forKey: commandID) else { return nil }
        let earlier = pending.values[index].request
        pending.values[index].request = request
        byRequest[request] = commandID
        if let earlier { byRequest[earlier] = nil }
        return earlier
    }

    /// Stops tracking the command (answered, or applied below a snapshot point).
    mutating func remove(_ commandID: CommandID) -> PendingSubmit? {
        guard let submit = pending.removeValue(forKey: commandID) else { return nil }
        if let request = submit.request { byRequest[request] = nil }
        return submit
    }

    /// Stops tracking the command the client `request` waits for (its deadline passed).
    mutating func remove(waitingFor request: RequestID) -> (commandID: CommandID, submit: PendingSubmit)? {
        guard let commandID = byRequest.removeValue(forKey: request),
              let submit = pending.removeValue(forKey: commandID) else { return nil }
        assert(submit.request == request, "byRequest names the client its submit waits for")
        return (commandID, submit)
    }

    /// Every tracked command with its submit, in no particular order.
    var all: [CommandID: PendingSubmit] { pending }

    /// The tracked commands in command order: what a replayed run must visit in the same order.
    var commandIDsInOrder: [CommandID] { pending.keys.sorted() }

    // MARK: The queue

    var hasQueued: Bool { !queue.isEmpty }

    mutating func enqueue(_ commandID: CommandID) { queue.append(commandID) }

    /// Back to the front of the queue (its proposal ended without choosing it).
    mutating func enqueueFirst(_ commandID: CommandID) { queue.prepend(commandID) }

    mutating func nextQueued() -> CommandID? { queue.popFirst() }
}
