import PaxosCore

/// Exhaustive breadth-first search over every interleaving of a tiny configuration, with state
/// hashing: a state reached twice is explored once. Breadth first, so a counterexample is a
/// shortest one.
///
/// Visited states are kept as 64-bit fingerprints (a hash of the whole state), not as states,
/// which is what makes millions of states fit in memory (TLC does the same). Two distinct states
/// sharing a fingerprint would make the count one short: for n states the chance is about
/// n^2 / 2^65, below 10^-6 for a million. The states themselves live only in the frontier.
public struct ModelCheckResult: Sendable {
    public var options: ModelCheckOptions
    /// Distinct states reached, the initial one included.
    public var states: Int
    /// Transitions taken (edges explored, including those to states seen before).
    public var transitions: Int
    /// The length of the longest shortest path from the initial state.
    public var depth: Int
    public var violation: (property: Property, detail: String)?
    /// The moves from the initial state to the violation.
    public var counterexample: [String]
    /// The search stopped at `options.statesMax` before exhausting the state space.
    public var truncated: Bool
    /// The search stopped at `options.depthMax` with states left to explore beyond it: every
    /// state within that many moves was explored, not those further.
    public var depthBounded = false
}

public enum ModelChecker {
    /// `progress` hears the depth and the states seen after each level of the search.
    ///
    /// Each level is searched in three passes. Workers (`options.workers` threads) take every
    /// move of every frontier state and keep only the fingerprint of where it leads; one thread
    /// then walks those in frontier order and numbers the states not seen before; the workers
    /// rebuild just those states and check the properties on them. The order of the middle pass
    /// is that of a one-thread search, so the states, their numbers, the counterexample and
    /// every figure are the same whatever the number of workers. A new state is built twice,
    /// but only about one move in twenty leads to one; keeping every successor of a level
    /// instead would hold gigabytes.
    public static func check(_ options: ModelCheckOptions,
                             progress: ((_ depth: Int, _ states: Int) -> Void)? = nil) -> ModelCheckResult {
        let transitions = ModelTransitions(options: options)
        let quorum = options.acceptors / 2 + 1
        let offered = options.offeredValues
        let workers = max(1, options.workers)

        let initial = transitions.initialState()
        var visited: Set<Fingerprint> = [Fingerprint(initial)]
        // Per state: its parent and the index of the move that reached it, to rebuild a path.
        var parent: [Int32] = [-1]
        var move: [UInt16] = [0]
        var frontier: [ModelState] = [initial]
        var frontierFirstIndex = 0
        var depth = 0
        var edges = 0

        func result(violation: (Property, String)?, at index: Int?, states: Int, truncated: Bool = false) -> ModelCheckResult {
            let path = index.map { rebuildPath(to: $0, parent: parent, move: move, transitions: transitions) } ?? []
            return ModelCheckResult(options: options, states: states, transitions: edges, depth: depth,
                                    violation: violation.map { (property: $0.0, detail: $0.1) },
                                    counterexample: path, truncated: truncated)
        }

        if let violation = ModelProperties.violation(in: initial, quorum: quorum, offered: offered) {
            return result(violation: violation, at: 0, states: 1)
        }
        while !frontier.isEmpty {
            if let depthMax = options.depthMax, depth >= depthMax {
                var final = result(violation: nil, at: nil, states: visited.count)
                final.depthBounded = true
                return final
            }
            // Pass 1, in parallel: where every move of every frontier state leads.
            let moves = inParallel(frontier.count, workers: workers) { range in
                var found: [(fingerprint: Fingerprint, from: Int32, choice: UInt16)] = []
                for position in range {
                    for (choice, action) in transitions.actions(in: frontier[position]).enumerated() {
                        var successor = frontier[position]
                        guard transitions.apply(action, to: &successor) else { continue }
                        found.append((Fingerprint(successor), Int32(position), UInt16(choice)))
                    }
                }
                return found
            }
            // Pass 2, in frontier order: number the states not seen before.
            var fresh: [(from: Int32, choice: UInt16, edgesSoFar: Int)] = []
            var truncated = false
            numbering: for chunk in moves {
                for found in chunk {
                    edges += 1
                    guard visited.insert(found.fingerprint).inserted else { continue }
                    parent.append(Int32(frontierFirstIndex) + found.from)
                    move.append(found.choice)
                    fresh.append((found.from, found.choice, edges))
                    if visited.count >= options.statesMax {
                        truncated = true
                        break numbering
                    }
                }
            }
            // Pass 3, in parallel: build the new states and check them.
            let built = inParallel(fresh.count, workers: workers) { range in
                var states: [ModelState] = []
                var violation: (position: Int, property: Property, detail: String)? = nil
                for position in range {
                    var successor = frontier[Int(fresh[position].from)]
                    let action = transitions.actions(in: successor)[Int(fresh[position].choice)]
                    transitions.apply(action, to: &successor)
                    if let found = ModelProperties.violation(in: successor, quorum: quorum, offered: offered) {
                        violation = (position, found.0, found.1)
                        break
                    }
                    states.append(successor)
                }
                return (states, violation)
            }
            let nextFirstIndex = frontierFirstIndex + frontier.count
            if let first = built.compactMap(\.1).min(by: { $0.position < $1.position }) {
                // What a one-thread search would have reported: it stops at the first violation.
                depth += 1
                edges = fresh[first.position].edgesSoFar
                let index = nextFirstIndex + first.position
                return result(violation: (first.property, first.detail), at: index, states: index + 1)
            }
            if truncated {
                return result(violation: nil, at: nil, states: visited.count, truncated: true)
            }
            if !fresh.isEmpty { depth += 1 }
            progress?(depth, visited.count)
            frontier = built.flatMap(\.0)
            frontierFirstIndex = nextFirstIndex
        }
        return result(violation: nil, at: nil, states: visited.count)
    }

    /// `work` over `0..<count` split into contiguous ranges, on up to `workers` threads; the
    /// results in the order of their ranges.
    private static func inParallel<T>(_ count: Int, workers: Int, _ work: (Range<Int>) -> T) -> [T] {
        // Several ranges per worker, so that one slow range does not leave the others idle.
        let pieces = workers == 1 ? 1 : min(count, workers * 8)
        guard pieces > 1 else { return [work(0..<count)] }
        var results = [T?](repeating: nil, count: pieces)
        results.withUnsafeMutableBufferPointer { slots in
            withoutActuallyEscaping(work) { work in
                let shared = UncheckedSendable((slots: slots, work: work))
                OwnThreads.forEach(iterations: pieces, threads: workers) { piece in
                    let range = (count * piece / pieces)..<(count * (piece + 1) / pieces)
                    shared.value.slots[piece] = shared.value.work(range)
                }
            }
        }
        return results.map { $0! }
    }

    /// Replays the moves from the initial state: the search kept only move numbers.
    private static func rebuildPath(to index: Int, parent: [Int32], move: [UInt16],
                                    transitions: ModelTransitions) -> [String] {
        var choices: [Int] = []
        var cursor = index
        while parent[cursor] >= 0 {
            choices.append(Int(move[cursor]))
            cursor = Int(parent[cursor])
        }
        var state = transitions.initialState()
        var lines: [String] = []
        for choice in choices.reversed() {
            let action = transitions.actions(in: state)[choice]
            lines.append(transitions.describe(action, in: state))
            transitions.apply(action, to: &state)
        }
        return lines
    }
}

/// Hands values to the workers (`OwnThreads`): each writes only its own slot and reads
/// what no one writes during the pass.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}

/// A 64-bit summary of a state.
struct Fingerprint: Hashable {
    var value: Int

    init(_ state: ModelState) { value = state.hashValue }

    func hash(into hasher: inout Hasher) { hasher.combine(value) }
}
