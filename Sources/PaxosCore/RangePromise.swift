/// An acceptor's promise for every instance from `from` on (Multi-Paxos phase 1), kept beside
/// the promises of single instances: an instance's effective promise is the higher of its own
/// and this one, if this one covers it.
public struct RangePromise: Hashable, Sendable {
    public private(set) var from: InstanceNumber
    public private(set) var ballot: Ballot

    /// No range promise: covers nothing.
    public static let none = RangePromise(from: .max, ballot: .zero)

    public init(from: InstanceNumber, ballot: Ballot) {
        self.from = from
        self.ballot = ballot
    }

    public func covers(_ instance: InstanceNumber) -> Bool {
        ballot != .zero && instance >= from
    }

    /// The promise at `instance` once this range promise is folded in.
    public func promise(at instance: InstanceNumber, own: Ballot) -> Ballot {
        covers(instance) ? max(own, ballot) : own
    }

    /// A new range promise never withdraws an old one: it starts at the lower of the two
    /// starts, so every instance the old one covered keeps a promise at least as high.
    public mutating func extend(from newFrom: InstanceNumber, ballot newBallot: Ballot) {
        guard newBallot >= ballot else { return }
        from = ballot == .zero ? newFrom : min(from, newFrom)
        ballot = newBallot
    }
}
