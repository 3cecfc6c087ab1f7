/// A first-in first-out queue that can also take an element back at its front, as a ring
/// buffer: every operation is amortized O(1), and a queue that keeps being filled and emptied
/// (a node's messages to itself, every step) reuses its storage instead of allocating. The
/// core stays free of dependencies (DESIGN.md section 2), and this is all it needs of a deque.
struct FIFO<Element: Sendable>: Sendable {
    /// Capacity is `storage.count`, a power of two or zero; live elements are the `count`
    /// slots from `head`, wrapping around.
    private var storage: [Element?] = []
    private var head = 0
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    mutating func append(_ element: Element) {
        growIfFull()
        storage[(head + count) & (storage.count - 1)] = element
        count += 1
    }

    /// Puts `element` first: the next `popFirst` returns it.
    mutating func prepend(_ element: Element) {
        growIfFull()
        head = (head - 1) & (storage.count - 1)
        storage[head] = element
        count += 1
    }

    mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = storage[head].take()
        head = (head + 1) & (storage.count - 1)
        count -= 1
        return element
    }

    /// The element `popFirst` would return, left in place.
    var first: Element? { count > 0 ? storage[head] : nil }

    /// Calls `body` with every element, first to last.
    func forEach(_ body: (Element) -> Void) {
        for element in elements { body(element) }
    }

    /// The elements, first to last.
    private var elements: some Sequence<Element> {
        (0..<count).lazy.map { [storage, head] in storage[(head + $0) & (storage.count - 1)]! }
    }

    private mutating func growIfFull() {
        guard count == storage.count else { return }
        var grown = [Element?](repeating: nil, count: max(4, storage.count * 2))
        for (index, element) in elements.enumerated() { grown[index] = element }
        storage = grown
        head = 0
    }
}

/// Two queues are equal when they hold the same elements in the same order, wherever they sit
/// in their storage.
extension FIFO: Equatable where Element: Equatable {
    static func == (lhs: FIFO, rhs: FIFO) -> Bool {
        lhs.count == rhs.count && lhs.elements.elementsEqual(rhs.elements)
    }
}

extension FIFO: Hashable where Element: Hashable {
    func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for element in elements { hasher.combine(element) }
    }
}
