/// Values by instance number, for the per-instance state of a node (what it chose, what its
/// acceptor promised, its proposers).
///
/// Instances are used nearly in order: the log grows at its end, proposers work just past it.
/// So the values live in an array over a window of consecutive instances, and reaching one costs
/// an index computation where a dictionary would hash the instance number on every message
/// (hashing was about a sixth of the simulator's time). An instance far from the window (a
/// client may propose in instance 10^12) goes to a small dictionary instead. The window grows
/// by at most `reach` slots for each value set, so no instance number can make it allocate
/// more than that.
///
/// Equality and hashing are by contents (the instances and their values), whichever part holds
/// them, so that the model checker sees equal states as equal.
///
/// Public because `DurableState` keeps its acceptors and chosen values in it: a restart replays
/// the log straight into the form the core works on.
public struct InstanceMap<Value: Sendable>: Sendable {
    /// How far past the window's end (or before its start) an instance may be and still be
    /// brought into the window.
    static var reach: InstanceNumber { 4_096 }

    // Internal rather than private (`@usableFromInline`) so that the reading methods can be
    // inlined, and so specialized, in the simulator and the storage module.

    /// `window[k]` is the value of instance `base + k`.
    @usableFromInline var window: [Value?] = []
    @usableFromInline var base: InstanceNumber = 1
    /// Instances out of the window's reach when they were set.
    @usableFromInline var distant: [InstanceNumber: Value] = [:]
    public private(set) var count = 0

    public init() {}

    public init(_ dictionary: [InstanceNumber: Value]) {
        for instance in dictionary.keys.sorted() { self[instance] = dictionary[instance] }
    }

    public var isEmpty: Bool { count == 0 }

    @inlinable var windowEnd: InstanceNumber { base + InstanceNumber(window.count) }

    public subscript(instance: InstanceNumber) -> Value? {
        get {
            if instance >= base && instance < windowEnd { return window[Int(instance - base)] }
            return distant.isEmpty ? nil : distant[instance]
        }
        set {
            if instance >= base && instance < windowEnd {
                let index = Int(instance - base)
                count += (newValue != nil ? 1 : 0) - (window[index] != nil ? 1 : 0)
                window[index] = newValue
                if newValue == nil && index == 0 { dropLeadingGaps() }
                return
            }
            if !distant.isEmpty, distant[instance] != nil {
                if newValue == nil { count -= 1 }
                distant[instance] = newValue
                return
            }
            guard let value = newValue else { return }
            if window.isEmpty {
                base = instance
                window.append(value)
            } else if instance >= windowEnd && instance - windowEnd < Self.reach {
                // Usually the very next instance: no gap to fill (appending an empty run of
                // nils still went through the generic sequence path, on every decision).
                if instance > windowEnd { window.append(contentsOf: repeatElement(nil, count: Int(instance - windowEnd))) }
                window.append(value)
            } else if instance < base && base - instance <= Self.reach {
                window.insert(contentsOf: repeatElement(nil, count: Int(base - instance)), at: 0)
                window[0] = value
                base = instance
            } else {
                distant[instance] = value
                count += 1
                return
            }
            count += 1
            if !distant.isEmpty { moveDistantIntoWindow() }
        }
    }

    /// Whether `instance` holds a value, without copying it out (a proposer is a few hundred
    /// bytes, and the getter's optional copy of it retained and released its commands).
    @inlinable public func contains(_ instance: InstanceNumber) -> Bool {
        if instance >= base && instance < windowEnd { return window[Int(instance - base)] != nil }
        return !distant.isEmpty && distant.index(forKey: instance) != nil
    }

    /// Changes the value of `instance` in place and returns what `change` returns; nil (and
    /// `change` not called) if the instance holds no value. In place: reading the value out
    /// and setting it back copied it twice.
    public mutating func update<Result>(_ instance: InstanceNumber, _ change: (inout Value) -> Result) -> Result? {
        if instance >= base && instance < windowEnd {
            let index = Int(instance - base)
            guard window[index] != nil else { return nil }
            return change(&window[index]!)
        }
        guard !distant.isEmpty, let index = distant.index(forKey: instance) else { return nil }
        return change(&distant.values[index])
    }

    @discardableResult
    public mutating func removeValue(forKey instance: InstanceNumber) -> Value? {
        let value = self[instance]
        if value != nil { self[instance] = nil }
        return value
    }

    /// Every instance holding a value, in increasing order.
    @inlinable public var instances: [InstanceNumber] {
        var result: [InstanceNumber] = []
        result.reserveCapacity(count)
        for (offset, value) in window.enumerated() where value != nil { result.append(base + InstanceNumber(offset)) }
        if !distant.isEmpty {
            result.append(contentsOf: distant.keys)
            result.sort()
        }
        return result
    }

    /// The instances and their values, in increasing order of instance.
    @inlinable public var entries: [(instance: InstanceNumber, value: Value)] {
        entries(from: 0)
    }

    public var highestInstance: InstanceNumber? {
        var highest = distant.keys.max()
        if let last = window.lastIndex(where: { $0 != nil }) { highest = max(highest ?? 0, base + InstanceNumber(last)) }
        return highest
    }

    /// Calls `body` with every instance holding a value and its value, in increasing order of
    /// instance within the window (distant instances, rare, follow in no particular order).
    @inlinable public func forEach(_ body: (InstanceNumber, Value) -> Void) {
        var index = 0
        while index < window.count {
            if let value = window[index] { body(base + InstanceNumber(index), value) }
            index += 1
        }
        for (instance, value) in distant { body(instance, value) }
    }

    /// The instances from `start` on and their values, in increasing order of instance.
    @inlinable public func entries(from start: InstanceNumber) -> [(instance: InstanceNumber, value: Value)] {
        var result: [(instance: InstanceNumber, value: Value)] = []
        if start < windowEnd {
            var index = start > base ? Int(start - base) : 0
            while index < window.count {
                if let value = window[index] { result.append((base + InstanceNumber(index), value)) }
                index += 1
            }
        }
        if !distant.isEmpty {
            result.append(contentsOf: distant.filter { $0.key >= start }.map { ($0.key, $0.value) })
            result.sort { $0.instance < $1.instance }
        }
        return result
    }

    /// Forgets every instance up to and including `last` (a snapshot point).
    public mutating func removeAll(through last: InstanceNumber) {
        if last >= base && !window.isEmpty {
            let dropped = Int(min(last - base + 1, InstanceNumber(window.count)))
            for index in 0..<dropped where window[index] != nil { count -= 1 }
            window.removeFirst(dropped)
            base += InstanceNumber(dropped)
            if !window.isEmpty && window[0] == nil { dropLeadingGaps() }
        }
        if !distant.isEmpty {
            for instance in distant.keys where instance <= last {
                distant[instance] = nil
                count -= 1
            }
        }
    }

    /// A window that starts with empty slots wastes them: it starts at its first value instead.
    private mutating func dropLeadingGaps() {
        guard let first = window.firstIndex(where: { $0 != nil }) else {
            window.removeAll(keepingCapacity: true)
            return
        }
        window.removeFirst(first)
        base += InstanceNumber(first)
    }

    /// After the window grew: distant instances it now covers move into it.
    private mutating func moveDistantIntoWindow() {
        for instance in distant.keys where instance >= base && instance < windowEnd {
            window[Int(instance - base)] = distant.removeValue(forKey: instance)
        }
    }
}

// Equality and hashing walk the window with plain index loops: the model checker hashes and
// compares every state it reaches, and the test suite runs it unoptimized.

extension InstanceMap: Equatable where Value: Equatable {
    public static func == (lhs: InstanceMap, rhs: InstanceMap) -> Bool {
        guard lhs.count == rhs.count else { return false }
        guard lhs.distant.isEmpty && rhs.distant.isEmpty else {
            return lhs.entries.elementsEqual(rhs.entries) { $0.instance == $1.instance && $0.value == $1.value }
        }
        // Both hold `count` values in their windows: equal if every value of one is in the other.
        var index = 0
        while index < lhs.window.count {
            if let value = lhs.window[index], rhs[lhs.base + InstanceNumber(index)] != value { return false }
            index += 1
        }
        return true
    }
}

extension InstanceMap: Hashable where Value: Hashable {
    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        guard distant.isEmpty else {
            // In instance order, as below: equal maps hash alike whichever part holds what.
            for (instance, value) in entries {
                hasher.combine(instance)
                hasher.combine(value)
            }
            return
        }
        var index = 0
        while index < window.count {
            if let value = window[index] {
                hasher.combine(base + InstanceNumber(index))
                hasher.combine(value)
            }
            index += 1
        }
    }
}
