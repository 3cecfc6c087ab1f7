import PaxosCore

/// Steps 3 and 6 as each acceptor's own promise, checked at every answer it releases: an
/// acceptor never promises or accepts below what it promised or accepted before in that
/// instance (its own promise, or a range promise covering the instance), across crashes.
/// A broken acceptor shows here at its first wrong answer, long before (or without) two
/// values being chosen: the agreement check needs a whole unlucky schedule, this one only
/// the broken step.
struct AcceptorContract {
    /// Per node: the highest ballot promised or accepted per instance (a handful of instances
    /// are open at a time, but instance numbers index the table directly).
    private var highest: [InstanceTable<Ballot>]
    /// Per node: its range promise, as `RangePromise` folds them.
    private var ranges: [RangePromise]

    init(nodes: Int) {
        highest = Array(repeating: InstanceTable(), count: nodes)
        ranges = Array(repeating: .none, count: nodes)
    }

    /// The least ballot `node` may still promise or accept in `instance`.
    private func floor(_ node: Int, _ instance: InstanceNumber) -> Ballot {
        ranges[node].promise(at: instance, own: highest[node][instance] ?? .zero)
    }

    /// `node` promised or accepted `ballot` in `instance`: a description of the broken promise, or nil.
    mutating func answered(_ node: Int, instance: InstanceNumber, ballot: Ballot, accepting: Bool) -> String? {
        guard InstanceTable<Ballot>.holds(instance) else { return nil }
        let floor = floor(node, instance)
        if ballot < floor {
            return "S\(node + 1) \(accepting ? "accepted" : "promised") \(ballot) in instance \(instance) after promising or accepting \(floor) there"
        }
        if ballot > (highest[node][instance] ?? .zero) { highest[node][instance] = ballot }
        return nil
    }

    /// `node` promised `ballot` for every instance from `start` on.
    mutating func promisedRange(_ node: Int, from start: InstanceNumber, ballot: Ballot) {
        ranges[node].extend(from: start, ballot: ballot)
    }
}
