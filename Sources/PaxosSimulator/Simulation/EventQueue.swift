/// The simulation's future: events ordered by simulated time, and events due at the same time by
/// the order they were scheduled. Ties never depend on hashing or memory addresses, so one seed
/// always replays the same run.
struct EventQueue<Event> {
    /// The heap orders small plain entries; the events themselves (enums holding messages, which
    /// are costly to move) stay put in `slots` until popped.
    private struct Entry {
        var time: SimulatedTime
        var sequence: UInt64
        var slot: Int

        func precedes(_ other: Entry) -> Bool {
            time != other.time ? time < other.time : sequence < other.sequence
        }
    }

    private var heap: [Entry] = []
    private var slots: [Event?] = []
    private var freeSlots: [Int] = []
    private var nextSequence: UInt64 = 0

    var count: Int { heap.count }
    var isEmpty: Bool { heap.isEmpty }

    mutating func schedule(_ event: Event, at time: SimulatedTime) {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = event
        } else {
            slot = slots.count
            slots.append(event)
        }
        heap.append(Entry(time: time, sequence: nextSequence, slot: slot))
        nextSequence += 1
        siftUp(heap.count - 1)
    }

    mutating func popFirst() -> (time: SimulatedTime, event: Event)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let first = heap.removeLast()
        if !heap.isEmpty { siftDown(0) }
        let event = slots[first.slot].take()!
        freeSlots.append(first.slot)
        return (first.time, event)
    }

    // The sifts work on the heap's storage directly: with subscripts, every move paid a
    // uniqueness check and a bounds check.
    private mutating func siftUp(_ start: Int) {
        heap.withUnsafeMutableBufferPointer { heap in
            var child = start
            let entry = heap[child]
            while child > 0 {
                let parent = (child - 1) / 2
                guard entry.precedes(heap[parent]) else { break }
                heap[child] = heap[parent]
                child = parent
            }
            heap[child] = entry
        }
    }

    private mutating func siftDown(_ start: Int) {
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
                parent = smallest
            }
            heap[parent] = entry
        }
    }
}

/// Simulated time in microseconds since the start of the run: fine enough for an fsync, and the
/// core's millisecond timers convert exactly.
typealias SimulatedTime = UInt64

extension SimulatedTime {
    static func milliseconds(_ value: UInt64) -> SimulatedTime { value * 1_000 }
}
