/// A first-in first-out queue with amortized O(1) operations. The core stays free of
/// dependencies (DESIGN.md section 2), and this is all it needs of a deque.
struct FIFO<Element: Sendable>: Sendable {
    private var front: [Element] = []   // reversed: the next element is last
    private var back: [Element] = []

    var isEmpty: Bool { front.isEmpty && back.isEmpty }
    var count: Int { front.count + back.count }

    mutating func append(_ element: Element) { back.append(element) }

    mutating func prepend(_ element: Element) { front.append(element) }

    mutating func popFirst() -> Element? {
        if front.isEmpty {
            guard !back.isEmpty else { return nil }
            front = back.reversed()
            back.removeAll(keepingCapacity: true)
        }
        return front.popLast()
    }
}

/// Two queues are equal when they hold the same elements in the same order, however split.
extension FIFO: Equatable where Element: Equatable {
    static func == (lhs: FIFO, rhs: FIFO) -> Bool {
        lhs.front.reversed() + lhs.back == rhs.front.reversed() + rhs.back
    }
}

extension FIFO: Hashable where Element: Hashable {
    func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for element in front.reversed() { hasher.combine(element) }
        for element in back { hasher.combine(element) }
    }
}
