import PaxosCore

/// The figures of one run, printed per run and summed over many.
public struct RunFigures: Hashable, Sendable {
    /// Instances chosen (learned by at least one node).
    public var decisions = 0
    public var events = 0
    public var messagesSent = 0
    public var messagesDelivered = 0
    public var messagesDropped = 0
    public var messagesDuplicated = 0
    public var messagesDelayed = 0
    /// Messages lost to a cut link or a down addressee.
    public var messagesUndeliverable = 0
    public var partitions = 0
    public var crashes = 0
    public var tornWrites = 0
    public var submits = 0
    public var submitsAcknowledged = 0
    public var submitsFailed = 0
    public var simulatedMicroseconds: UInt64 = 0
    /// How often each interesting event happened.
    public var coverage = Coverage()

    public init() {}

    /// Faults injected, of every kind.
    public var faults: Int {
        messagesDropped + messagesDuplicated + messagesDelayed + partitions + crashes + tornWrites
            + coverage[.staleMessageReplayed] + coverage[.contestedInstance]
    }

    public mutating func add(_ other: RunFigures) {
        decisions += other.decisions
        events += other.events
        messagesSent += other.messagesSent
        messagesDelivered += other.messagesDelivered
        messagesDropped += other.messagesDropped
        messagesDuplicated += other.messagesDuplicated
        messagesDelayed += other.messagesDelayed
        messagesUndeliverable += other.messagesUndeliverable
        partitions += other.partitions
        crashes += other.crashes
        tornWrites += other.tornWrites
        submits += other.submits
        submitsAcknowledged += other.submitsAcknowledged
        submitsFailed += other.submitsFailed
        simulatedMicroseconds += other.simulatedMicroseconds
        coverage.add(other.coverage)
    }
}

/// A property the checkers hold every run to (issue 5, item 3).
public enum Property: String, Hashable, Sendable, CaseIterable {
    /// No two nodes learn different values for one instance.
    case agreement
    /// A chosen value was submitted (or proposed), or is a no-op.
    case validity
    /// An acknowledged submit is chosen and reaches every node's file.
    case durability
    /// A value a node learned never changes, and survives the node's crashes; so does a rebuilt
    /// node's saying it votes again.
    case stability
    /// Every node's file is a prefix of the longest one.
    case filePrefix = "file prefix"
    /// The file is the chosen values in instance order, each command once, no-ops left out.
    case fileContent = "file content"
    /// After the faults stop, every pending request completes and the nodes converge in bounded time.
    case liveness
    /// A linearizable read was answered without a value acknowledged before it began.
    case linearizableRead = "linearizable read"
    /// An acceptor promised or accepted below a ballot it had promised or accepted (steps 3, 6).
    case acceptorContract = "acceptor contract"
    /// A node's log could not be read back after a crash.
    case recovery
}

public struct Violation: Hashable, Sendable, CustomStringConvertible {
    public var property: Property
    public var detail: String
    /// The event at which the check failed, counted from 1.
    public var step: Int
    public var simulatedMicroseconds: UInt64

    public var description: String {
        "\(property.rawValue) violated at step \(step) (t=\(formatMilliseconds(simulatedMicroseconds))): \(detail)"
    }
}

public struct SimulationResult: Sendable {
    public var seed: UInt64
    public var options: SimulationOptions
    public var figures: RunFigures
    public var violation: Violation?
    /// The last steps before the end of the run (only when the run was traced).
    public var trace: [String]
    /// Where the run's time went (only when it was run with a clock: `paxos simulate --cost`).
    public var cost: SimulationCost? = nil
}

/// `12.345ms`: simulated microseconds as milliseconds with three decimals, the same on every machine.
func formatMilliseconds(_ microseconds: UInt64) -> String {
    let fraction = String(microseconds % 1_000)
    return "\(microseconds / 1_000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)ms"
}
