/// The simulation's future: events ordered by simulated time, and events due at the same time by
/// the order they were scheduled. Ties never depend on hashing or memory addresses, so one seed
/// always replays the same run.
///
/// An event can be cancelled: a timer that is replaced or a deadline whose request was answered
/// leaves the heap at once instead of being popped later for nothing (they were about one event
/// in seven of a run).
struct EventQueue<Event> {
    /// Names a scheduled event, to cancel it. A handle outlives its event harmlessly: the slot's
    /// generation tells a later event in the same slot apart.
    struct Handle: Hashable {
        fileprivate var slot: Int32
        fileprivate var generation: UInt32
    }

    /// The heap orders small plain entries (16 bytes, four to a cache line); the events
    /// themselves (enums holding messages, costly to move) stay put in `events` until popped.
    private struct Entry {
        var time: SimulatedTime
        var sequence: UInt32
        var slot: UInt32

        func precedes(_ other: Entry) -> Bool {
            time != other.time ? time < other.time : sequence < other.sequence
        }
    }

    /// A run schedules fewer events than this (`SimulationOptions.eventsMax` is far below it),
    /// so sequence numbers never wrap and ties always break by scheduling order.
    static var schedulesMax: Int { Int(UInt32.max) }

    private var heap: [Entry] = []
    /// By slot: the event, the slot's generation (for handles), and its entry's place in the heap.
    private var events: [Event?] = []
    private var generations: [UInt32] = []
    private var positions: [Int32] = []
    private var freeSlots: [UInt32] = []
    private var nextSequence: UInt32 = 0

    var count: Int { heap.count }
    var isEmpty: Bool { heap.isEmpty }

    /// Takes `event` over: the caller's `.deliver(envelope)` moves into its slot, where a
    /// borrowed event was copied in (retaining the message) and the caller's destroyed.
    @discardableResult
    mutating func schedule(_ event: consuming Event, at time: SimulatedTime) -> Handle {
        precondition(nextSequence < UInt32.max, "a run schedules at most \(Self.schedulesMax) events")
        let slot: UInt32
        if let free = freeSlots.popLast() {
            slot = free
            events[Int(slot)] = event
        } else {
            slot = UInt32(events.count)
            events.append(event)
            generations.append(0)
            positions.append(0)
        }
        heap.append(Entry(time: time, sequence: nextSequence, slot: slot))
        nextSequence += 1
        siftUp(heap.count - 1)
        return Handle(slot: Int32(slot), generation: generations[Int(slot)])
    }

    /// When the earliest event happens, or nil if nothing is scheduled.
    var firstTime: SimulatedTime? { heap.first?.time }

    /// Removes the earliest event (which happens at `firstTime`). Returned alone rather than in a
    /// tuple with its time: destroying a (time, event) pair went through the runtime's generic
    /// tuple witness, once per event.
    mutating func removeFirst() -> Event {
        let first = heap[0]
        removeEntry(at: 0)
        return release(Int(first.slot))
    }

    /// Removes the event `handle` names, if it has not happened yet.
    mutating func cancel(_ handle: Handle) {
        let slot = Int(handle.slot)
        guard slot < events.count, generations[slot] == handle.generation, events[slot] != nil else { return }
        removeEntry(at: Int(positions[slot]))
        _ = release(slot)
    }

    private mutating func release(_ slot: Int) -> Event {
        let event = events[slot].take()!
        generations[slot] &+= 1
        freeSlots.append(UInt32(slot))
        return event
    }

    private mutating func removeEntry(at position: Int) {
        let last = heap.removeLast()
        guard position < heap.count else { return }
        heap[position] = last
        positions[Int(last.slot)] = Int32(position)
        if position > 0 && last.precedes(heap[(position - 1) / 2]) {
            siftUp(position)
        } else {
            siftDown(position)
        }
    }

    // The sifts work on the storage directly: with subscripts, every move paid a uniqueness
    // check and a bounds check. Each move also records the entry's new position.
    private mutating func siftUp(_ start: Int) {
        positions.withUnsafeMutableBufferPointer { positions in
            heap.withUnsafeMutableBufferPointer { heap in
                var child = start
                let entry = heap[child]
                while child > 0 {
                    let parent = (child - 1) / 2
                    guard entry.precedes(heap[parent]) else { break }
                    heap[child] = heap[parent]
                    positions[Int(heap[child].slot)] = Int32(child)
                    child = parent
                }
                heap[child] = entry
                positions[Int(entry.slot)] = Int32(child)
            }
        }
    }

    private mutating func siftDown(_ start: Int) {
        positions.withUnsafeMutableBufferPointer { positions in
            heap.withUnsafeMutableBufferPointer { heap in
                let count = heap.count
                var parent = start
                let entry = heap[parent]
                while true {
                    let left = 2 * parent + 1
                    guard left < count else { break }
                    var smallest = left
                    if left + 1 < count && heap[left + 1].precedes(heap[left]) { smallest = left + 1 }
                    guard heap[smallest].precedes(entry) else { break }
                    heap[parent] = heap[smallest]
                    positions[Int(heap[parent].slot)] = Int32(parent)
                    parent = smallest
                }
                heap[parent] = entry
                positions[Int(entry.slot)] = Int32(parent)
            }
        }
    }
}

/// Simulated time in microseconds since the start of the run: fine enough for an fsync, and the
/// core's millisecond timers convert exactly.
typealias SimulatedTime = UInt64

extension SimulatedTime {
    static func milliseconds(_ value: UInt64) -> SimulatedTime { value * 1_000 }
}
