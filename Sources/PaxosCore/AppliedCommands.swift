/// The commands applied in the recent log and where each was first applied: the applied
/// state's table that makes a command take effect once (DESIGN.md, "Client sessions").
///
/// - A client-named command (`CommandID.clientNamed`) is kept for `clientInstancesMax`
///   applied instances: a client's retry of it, at any node, after leader changes, crashes and
///   restarts, is answered with the first outcome instead of a second line in the file.
/// - A command a node made for one submit is kept for `nodeInstancesMax` instances: long enough
///   to skip its second copy when a forwarded submit and its taken-back retry are both chosen.
///   Both copies were proposed while the submit was pending at its origin, each at most a
///   window of proposals in flight beyond what some node had applied, so they land close
///   together; the bound is a limit, not a timeout (TigerBeetle's "a limit on everything"),
///   and the simulator's file check would see a value applied twice if it were ever too short.
///
/// It is part of the replicated state: every node fills it while applying the same log in the
/// same order, its bounds are counted in instances, not in time, so every replica forgets the
/// same ids at the same point of the log, and a snapshot carries it (`DurableRecord.appliedCommand`).
/// A retry that arrives after its request left the window is taken for a new request (the
/// value is appended again): `clientInstancesMax` is how far the log may move on before a
/// client must have stopped retrying (README, Clients).
struct AppliedCommands: Hashable, Sendable {
    private struct Entry: Hashable, Sendable {
        var instance: InstanceNumber
        var command: CommandID
    }

    let clientInstancesMax: UInt64
    let nodeInstancesMax: UInt64
    private var instances: [CommandID: InstanceNumber] = [:]
    private var clientOrder = FIFO<Entry>()
    private var nodeOrder = FIFO<Entry>()

    init(clientInstancesMax: UInt64, nodeInstancesMax: UInt64) {
        precondition(clientInstancesMax >= 1 && nodeInstancesMax >= 1, "the window holds at least the last instance")
        self.clientInstancesMax = clientInstancesMax
        self.nodeInstancesMax = nodeInstancesMax
        // Grown from empty, the table rehashed itself at every doubling on the way.
        instances.reserveCapacity(64)
    }

    var count: Int { instances.count }

    /// The instance where `command` was first applied, while it is in the window.
    func instance(of command: CommandID) -> InstanceNumber? { instances[command] }

    func contains(_ command: CommandID) -> Bool { instances[command] != nil }

    /// Records that `command` was applied at `instance` (instances come in increasing order),
    /// forgets what fell out of the window, and says whether this was the command's first
    /// application (false: a second copy, not to be applied again).
    mutating func apply(_ command: CommandID, at instance: InstanceNumber) -> Bool {
        guard instances[command] == nil else { return false }
        instances[command] = instance
        if command.isClientNamed {
            clientOrder.append(Entry(instance: instance, command: command))
        } else {
            nodeOrder.append(Entry(instance: instance, command: command))
        }
        expire(appliedThrough: instance)
        return true
    }

    /// Forgets the commands applied more than their bound before `appliedThrough`.
    mutating func expire(appliedThrough: InstanceNumber) {
        Self.expire(&clientOrder, &instances, appliedThrough: appliedThrough, bound: clientInstancesMax)
        Self.expire(&nodeOrder, &instances, appliedThrough: appliedThrough, bound: nodeInstancesMax)
    }

    private static func expire(_ order: inout FIFO<Entry>, _ instances: inout [CommandID: InstanceNumber],
                               appliedThrough: InstanceNumber, bound: UInt64) {
        while let oldest = order.first, appliedThrough >= oldest.instance, appliedThrough - oldest.instance >= bound {
            _ = order.popFirst()
            instances[oldest.command] = nil
        }
    }

    /// The table as records, oldest first: what a snapshot at `through` carries.
    func records(through last: InstanceNumber) -> [DurableRecord] {
        var entries: [Entry] = []
        entries.reserveCapacity(instances.count)
        clientOrder.forEach { if $0.instance <= last { entries.append($0) } }
        nodeOrder.forEach { if $0.instance <= last { entries.append($0) } }
        entries.sort { $0.instance < $1.instance }
        return entries.map { .appliedCommand($0.command, instance: $0.instance) }
    }
}
