/// The due times of a node's timers (the core's heartbeat, phase timeouts, leadership backoff)
/// and of its clients' deadlines, in one min-heap that one sleeping task serves (`NodeRuntime`).
/// A task per timer cost a task creation, a dispatch timer and a cancellation for every submit
/// (two timers each: its deadline and its proposer's phase timeout), about 5 % of a busy
/// leader's CPU. Cancelled and replaced entries stay in the heap and are skipped when they come
/// due (their generation no longer matches), until they outnumber the live ones: then the heap
/// is rebuilt from the live entries. Without that, a busy leader's heap held every deadline
/// answered in the last five seconds (60,000 entries at 12,000 submits/s, where 64 were live),
/// and each submit's push and pop walked that deep heap.
struct TimerQueue<Key: Hashable & Sendable>: Sendable {
    private struct Entry: Sendable {
        var due: ContinuousClock.Instant
        var key: Key
        var generation: UInt64
    }

    private var heap: [Entry] = []
    /// The generation of each key's live entry.
    private var live: [Key: UInt64] = [:]
    private var nextGeneration: UInt64 = 0
    /// Entries in `heap` that are no longer live (cancelled, or replaced by a later arming).
    private var staleCount = 0

    /// Entries held, live or stale (for tests: the heap stays within a few times the live ones).
    var heldCount: Int { heap.count }

    var isEmpty: Bool { live.isEmpty }

    /// When the earliest entry (live or not) comes due: the sleeper wakes then.
    var earliest: ContinuousClock.Instant? { heap.first?.due }

    /// Arms `key` at `due`, replacing an earlier arming of it.
    mutating func schedule(_ key: Key, at due: ContinuousClock.Instant) {
        nextGeneration += 1
        if live.updateValue(nextGeneration, forKey: key) != nil { noteStale() }
        heap.append(Entry(due: due, key: key, generation: nextGeneration))
        siftUp(heap.count - 1)
    }

    mutating func cancel(_ key: Key) {
        if live.removeValue(forKey: key) != nil { noteStale() }
    }

    mutating func removeAll() {
        heap.removeAll()
        live.removeAll()
        staleCount = 0
    }

    /// One more stale entry; past twice the live ones (and a floor that keeps small heaps
    /// alone), the heap keeps only the live entries. Each rebuild is paid for by the stale
    /// entries it drops, so a cancellation costs O(1) amortized.
    private mutating func noteStale() {
        staleCount += 1
        guard staleCount > 64 && staleCount > 2 * live.count else { return }
        heap.removeAll { live[$0.key] != $0.generation }
        staleCount = 0
        // Floyd's construction: sift down every parent, the last one first.
        for index in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(index) }
    }

    /// Removes and returns the earliest live key due at `now`, or nil. One at a time: firing one
    /// alarm may cancel or re-arm another that is due too, and that one must then not fire.
    mutating func popNextDue(now: ContinuousClock.Instant) -> Key? {
        while let first = heap.first, first.due <= now {
            let entry = popFirst()
            if live[entry.key] == entry.generation {
                live[entry.key] = nil
                return entry.key
            }
            staleCount -= 1
        }
        return nil
    }

    private mutating func popFirst() -> Entry {
        let first = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        return first
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].due < heap[parent].due else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].due < heap[smallest].due { smallest = left }
            if right < heap.count && heap[right].due < heap[smallest].due { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
