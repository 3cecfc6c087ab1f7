/// Where each client-named command (`CommandID.clientNamed`) was first applied, for the last
/// `instancesMax` applied instances: the table that lets a client retry a submit at any node,
/// after leader changes, crashes and restarts, and get the first outcome instead of a second
/// line in the file.
///
/// It is part of the replicated state: every node fills it while applying the same log in the
/// same order, and a restart rebuilds it by applying the recovered log again. Its bound is
/// counted in instances, not in time, so that every replica forgets the same ids at the same
/// point of the log. A retry that arrives after its request left the window is taken for a new
/// request (the value is appended again): `instancesMax` is how far the log may move on before
/// a client must have stopped retrying (README, Clients).
struct ClientRequestWindow: Hashable, Sendable {
    private struct Entry: Hashable, Sendable {
        var instance: InstanceNumber
        var command: CommandID
    }

    let instancesMax: UInt64
    private var instances: [CommandID: InstanceNumber] = [:]
    private var order: FIFO<Entry>

    init(instancesMax: UInt64) {
        precondition(instancesMax >= 1, "the window holds at least the last instance")
        self.instancesMax = instancesMax
        // Grown from empty, the table rehashed itself at every doubling on the way (and the
        // queue reallocated itself at each); every start of a node made both again.
        instances.reserveCapacity(64)
        order = FIFO(minimumCapacity: 64)
    }

    var count: Int { instances.count }

    /// The instance where `command` was first applied, while it is in the window.
    func instance(of command: CommandID) -> InstanceNumber? { instances[command] }

    /// `command` was applied at `instance` (instances come in increasing order).
    mutating func record(_ command: CommandID, at instance: InstanceNumber) {
        instances[command] = instance
        order.append(Entry(instance: instance, command: command))
    }

    /// Forgets the commands applied more than `instancesMax` instances before `appliedThrough`
    /// and hands each to `forget`.
    mutating func expire(appliedThrough: InstanceNumber, _ forget: (CommandID) -> Void) {
        while let oldest = order.first, appliedThrough - oldest.instance >= instancesMax {
            _ = order.popFirst()
            instances[oldest.command] = nil
            forget(oldest.command)
        }
    }
}
