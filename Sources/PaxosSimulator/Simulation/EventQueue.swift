/// The simulation's future: events ordered by simulated time, and events due at the same time by
/// the order they were scheduled. Ties never depend on hashing or memory addresses, so one seed
/// always replays the same run.
struct EventQueue<Event> {
    private struct Entry {
        var time: SimulatedTime
        var sequence: UInt64
        var event: Event

        func precedes(_ other: Entry) -> Bool {
            time != other.time ? time < other.time : sequence < other.sequence
        }
    }

    private var heap: [Entry] = []
    private var nextSequence: UInt64 = 0

    var count: Int { heap.count }
    var isEmpty: Bool { heap.isEmpty }

    mutating func schedule(_ event: Event, at time: SimulatedTime) {
        heap.append(Entry(time: time, sequence: nextSequence, event: event))
        nextSequence += 1
        siftUp(heap.count - 1)
    }

    mutating func popFirst() -> (time: SimulatedTime, event: Event)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let first = heap.removeLast()
        if !heap.isEmpty { siftDown(0) }
        return (first.time, first.event)
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var smallest = left
            if left + 1 < heap.count && heap[left + 1].precedes(heap[left]) { smallest = left + 1 }
            guard heap[smallest].precedes(heap[parent]) else { return }
            heap.swapAt(smallest, parent)
            parent = smallest
        }
    }
}

/// Simulated time in microseconds since the start of the run: fine enough for an fsync, and the
/// core's millisecond timers convert exactly.
typealias SimulatedTime = UInt64

extension SimulatedTime {
    static func milliseconds(_ value: UInt64) -> SimulatedTime { value * 1_000 }
}
