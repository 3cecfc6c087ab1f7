/// The order in which a shell performs its node's Readies: one component, used by the live node
/// and by the simulator, so that what the checkers test is the order that runs (DESIGN.md
/// sections 4 and 10).
///
/// The shell writes each Ready's records to its log and hands the Ready over with the ticket its
/// effects wait for; it tells the pipeline which ticket is durable, and performs what it gets
/// back (`add`, `takeReady`), or delivers what the node sent itself (`takeOwnMessage`), one
/// piece of work at a time:
/// - a Ready's effects leave only once its `persist` records are durable (its ticket);
/// - Readies are performed in the order they were made, so a timer set by one step cannot
///   outlive a later step's cancel, and a reply never overtakes an earlier step's message;
/// - a message the node sends itself is delivered as a new step after the Ready that sent it
///   was performed, never inside it, and before later Readies wait on it (its records join the
///   next fsync, in parallel with the peers' answers).
///
/// Pure bookkeeping, no I/O: the shell owns the log, the clock and the sockets.
public struct ReadyPipeline: Sendable {
    /// Readies handed over and not yet performed, in order, and the ticket each waits for (two
    /// queues, so that looking at the next ticket copies no Ready).
    private var held = FIFO<Ready>()
    private var heldTickets = FIFO<UInt64>()
    /// Messages this node sent itself, waiting to be delivered.
    private var ownMessages = FIFO<Message>()
    /// The ticket of the latest `persist` records handed to the log.
    public private(set) var lastTicket: UInt64 = 0

    public init() {}

    /// Hands over a Ready whose `persist` records got `persistTicket` from the log (nil when it
    /// had none: it still waits for the records before it, since Readies are performed in
    /// order; `persistEventually` records never make anyone wait). Returns the Ready back when
    /// it may be performed at once, because nothing is held before it and its records are
    /// durable: the shell performs it without queueing it. Otherwise it is held, for
    /// `takeReady`.
    public mutating func add(_ ready: consuming Ready, persistTicket: UInt64?, durableTicket: UInt64) -> Ready? {
        if let persistTicket {
            precondition(persistTicket >= lastTicket, "log tickets go up")
            lastTicket = persistTicket
        }
        if held.isEmpty && lastTicket <= durableTicket { return ready }
        held.append(ready)
        heldTickets.append(lastTicket)
        return nil
    }

    /// A message this node sent itself (past the shell's fault filter).
    public mutating func addOwnMessage(_ message: Message) {
        ownMessages.append(message)
    }

    /// The next held Ready whose records are durable, to perform now. Held Readies go before
    /// own messages: a message to itself never overtakes an effect of an earlier step.
    public mutating func takeReady(durableTicket: UInt64) -> Ready? {
        guard let ticket = heldTickets.first, ticket <= durableTicket else { return nil }
        _ = heldTickets.popFirst()
        return held.popFirst()
    }

    /// The next message this node sent itself, to run as `onMessage(from: self, ...)` once no
    /// durable Ready is left to perform.
    public mutating func takeOwnMessage() -> Message? {
        ownMessages.popFirst()
    }

    /// The ticket the shell must wait for before more work can be done, if any: the last
    /// handed over, so that one wait covers every Ready held now (one wake-up per fsync batch).
    public func awaitedTicket(durableTicket: UInt64) -> UInt64? {
        guard let ticket = heldTickets.first, ticket > durableTicket else { return nil }
        return lastTicket
    }

    public var isIdle: Bool { held.isEmpty && ownMessages.isEmpty }

    /// Whether every Ready handed over under `ticket` or before it has been performed (taken
    /// back by `add` or `takeReady`): none of them is held any more.
    public func hasPerformed(through ticket: UInt64) -> Bool {
        guard let first = heldTickets.first else { return true }
        return first > ticket
    }

    /// A crash or a reset: effects not performed are lost, like the node's volatile state.
    /// Tickets stay monotonic (the log keeps counting).
    public mutating func removeAll() {
        held = FIFO()
        heldTickets = FIFO()
        ownMessages = FIFO()
    }
}
