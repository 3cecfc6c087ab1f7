import PaxosCore

/// Steps 3 and 6 as each acceptor's own promise, checked at every answer it releases: an
/// acceptor never promises or accepts below what it promised or accepted before in that
/// instance (its own promise, or a range promise covering the instance), across crashes.
/// A broken acceptor shows here at its first wrong answer, long before (or without) two
/// values being chosen: the agreement check needs a whole unlucky schedule, this one only
/// the broken step.
///
/// The range promises are kept here as the rule states them, not through the core's
/// `RangePromise`: a checker that folded them with the code it checks would share its bugs
/// (it did: the mutation `range-promise-restarts-at-new-start` withdrew the promise in both,
/// and only an agreement violation 89,711 swarm seeds in showed it).
struct AcceptorContract {
    /// Per node: the highest ballot promised or accepted per instance (a handful of instances
    /// are open at a time, but instance numbers index the table directly).
    private var highest: [InstanceTable<Ballot>]
    /// Per node: every range promise it made, as a staircase.
    private var ranges: [RangePromises]

    init(nodes: Int) {
        highest = Array(repeating: InstanceTable(), count: nodes)
        ranges = Array(repeating: RangePromises(), count: nodes)
    }

    /// The least ballot `node` may still promise or accept in `instance`.
    private func floor(_ node: Int, _ instance: InstanceNumber) -> Ballot {
        max(highest[node][instance] ?? .zero, ranges[node].ballot(at: instance))
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

    /// `node` promised `ballot` for every instance from `start` on. (A range promise below an
    /// earlier one is no broken promise by itself: the earlier one still binds, and an answer
    /// below it is caught above. A rebuilt node's fence to itself can be such a promise.)
    mutating func promisedRange(_ node: Int, from start: InstanceNumber, ballot: Ballot) {
        ranges[node].add(start: start, ballot: ballot)
    }
}

/// Range promises `(start, ballot)`, each covering every instance from its start: the promise
/// at an instance is the highest ballot among those that start at or below it. Only the
/// promises no other one covers with a ballot at least as high are kept; sorted by start,
/// their ballots then rise too, so the last one starting at or below an instance is its promise.
struct RangePromises {
    private(set) var steps: [(start: InstanceNumber, ballot: Ballot)] = []

    func ballot(at instance: InstanceNumber) -> Ballot {
        // Binary search for the first step starting above `instance`: a long run keeps one
        // step per leadership, and this is asked at every vote.
        var low = 0, high = steps.count
        while low < high {
            let middle = (low + high) / 2
            if steps[middle].start <= instance { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? .zero : steps[low - 1].ballot
    }

    mutating func add(start: InstanceNumber, ballot: Ballot) {
        if steps.contains(where: { $0.start <= start && $0.ballot >= ballot }) { return }
        steps.removeAll { $0.start >= start && $0.ballot <= ballot }
        let position = steps.firstIndex { $0.start > start } ?? steps.count
        steps.insert((start, ballot), at: position)
    }
}
