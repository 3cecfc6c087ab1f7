import PaxosCore

/// The client requests of a run that are not answered yet. A run numbers its requests 1, 2,
/// 3... so they live in an array indexed by number: a dictionary hashed the number at every
/// submit, answer and deadline.
struct ClientRequests {
    struct Request {
        var node: Int
        var value: String
        var isCalm: Bool
        /// The client's deadline, cancelled when the request is answered.
        var deadline: EventQueue<SimulationEvent>.Handle
        /// The client's name for a submit (request id), kept by its retry.
        var name: CommandID? = nil
        var isRetry = false
        /// A linearizable read: the highest instance acknowledged to any client before it began.
        var readFloor: InstanceNumber? = nil
    }

    /// `slots[n - 1]` is request n, while it is open.
    private var slots: [Request?] = []
    private(set) var openCount = 0

    var isEmpty: Bool { openCount == 0 }

    /// Opens request `number`, which must be the next one of the run.
    mutating func open(_ number: RequestID, _ request: Request) {
        precondition(number == RequestID(slots.count) + 1, "requests are opened in order")
        slots.append(request)
        openCount += 1
    }

    subscript(number: RequestID) -> Request? {
        let index = Int(truncatingIfNeeded: number &- 1)
        return index >= 0 && index < slots.count ? slots[index] : nil
    }

    /// Closes request `number` and returns it, or nil if it was not open.
    mutating func close(_ number: RequestID) -> Request? {
        let index = Int(truncatingIfNeeded: number &- 1)
        guard index >= 0 && index < slots.count, let request = slots[index] else { return nil }
        slots[index] = nil
        openCount -= 1
        return request
    }

    /// The numbers of the open requests, in increasing order.
    var openNumbers: [RequestID] {
        slots.indices.compactMap { slots[$0] == nil ? nil : RequestID($0 + 1) }
    }
}
