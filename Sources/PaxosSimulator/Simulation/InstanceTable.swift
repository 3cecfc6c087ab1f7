import PaxosCore

/// Values by instance number, for the simulator's checkers: a run's instances are dense from 1
/// and few, so an array indexed by instance answers without the hashing a dictionary pays on
/// every message. Instances beyond `instanceMax` are refused rather than allocated: a core that
/// proposes at absurd instances is reported, not obeyed.
struct InstanceTable<Value> {
    static var instanceMax: InstanceNumber { 1 << 22 }
    /// A 600-step run decides about 70 instances.
    private static var initialCapacity: Int { 128 }

    private var values: [Value?] = []

    /// Whether `instance` fits the table.
    static func holds(_ instance: InstanceNumber) -> Bool { instance >= 1 && instance <= instanceMax }

    subscript(instance: InstanceNumber) -> Value? {
        get {
            let index = Int(truncatingIfNeeded: instance &- 1)
            return index >= 0 && index < values.count ? values[index] : nil
        }
        set {
            precondition(Self.holds(instance), "instance \(instance) is outside 1...\(Self.instanceMax)")
            let index = Int(instance - 1)
            if index >= values.count {
                guard newValue != nil else { return }
                // Room for a default run's instances at the first value: growing from one slot
                // by doublings was several allocations per table and seed.
                if values.capacity == 0 { values.reserveCapacity(max(Self.initialCapacity, index + 1)) }
                // Usually the next instance: only a gap needs filling.
                if index > values.count { values.append(contentsOf: repeatElement(nil, count: index - values.count)) }
                values.append(newValue)
                return
            }
            values[index] = newValue
        }
    }

    /// Changes the value of `instance` in place (`initial` if it has none), returning what
    /// `change` returns.
    /// (`initial` is made only when needed, and the presence test copies no value out.)
    mutating func update<Result>(_ instance: InstanceNumber, default initial: @autoclosure () -> Value,
                                 _ change: (inout Value) -> Result) -> Result {
        let index = Int(truncatingIfNeeded: instance &- 1)
        if !(index >= 0 && index < values.count && values[index] != nil) { self[instance] = initial() }
        return change(&values[index]!)
    }

    /// The first non-nil result of `body` over the instances that hold a value, in increasing order.
    func firstValue<Result>(_ body: (InstanceNumber, Value) -> Result?) -> Result? {
        for index in values.indices {
            if let value = values[index], let result = body(InstanceNumber(index + 1), value) { return result }
        }
        return nil
    }

    /// The instances that hold a value, in increasing order.
    var instances: [InstanceNumber] {
        values.indices.compactMap { values[$0] == nil ? nil : InstanceNumber($0 + 1) }
    }
}
