/// The last few steps of a run, kept only when a failing run is replayed to be explained: the
/// fast path never formats a string.
struct TraceRecorder {
    let stepsMax: Int
    private var ring: [String] = []
    private var next = 0
    private var current: String?

    init(stepsMax: Int) { self.stepsMax = max(1, stepsMax) }

    mutating func beginStep(at time: SimulatedTime, _ text: String) {
        flush()
        current = "t=\(formatMilliseconds(time)) \(text)"
    }

    /// A consequence of the current step (a protocol step of the core, a fault, a reply).
    mutating func note(_ text: String) {
        if current == nil { current = "" }
        current! += "\n      \(text)"
    }

    /// Oldest first.
    var steps: [String] {
        var copy = self
        copy.flush()
        return Array(copy.ring[copy.next...] + copy.ring[..<copy.next])
    }

    private mutating func flush() {
        guard let step = current else { return }
        current = nil
        if ring.count < stepsMax {
            ring.append(step)
        } else {
            ring[next] = step
            next = (next + 1) % stepsMax
        }
    }
}
