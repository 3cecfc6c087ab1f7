import PaxosCore

/// Exhaustive breadth-first search over every interleaving of a tiny configuration, with state
/// hashing: a state reached twice is explored once. Breadth first, so a counterexample is a
/// shortest one.
///
/// Visited states are kept as 64-bit fingerprints (a hash of the whole state), not as states,
/// which is what makes millions of states fit in memory (TLC does the same). Two distinct states
/// sharing a fingerprint would make the count one short: for n states the chance is about
/// n^2 / 2^65, below 10^-6 for a million. No level of states is held either: each state keeps
/// its parent's number and its move (6 bytes), and a level's states are rebuilt from those by
/// replaying moves along the path (`PathReplay`), so memory grows with the states' number, not
/// their size.
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
    /// Each level is searched in chunks of `options.chunkStates` states, each in three passes.
    /// Workers (`options.workers` threads) rebuild every state of the chunk, take each of its
    /// moves and keep only the fingerprint of where it leads; one thread
    /// then walks those in frontier order and numbers the states not seen before; the workers
    /// rebuild just those states and check the properties on them. The order of the middle pass
    /// is that of a one-thread search, so the states, their numbers, the counterexample and
    /// every figure are the same whatever the number of workers and chunks. A new state is
    /// built twice, but only about one move in twenty leads to one; keeping every successor of
    /// a level instead would hold gigabytes.
    public static func check(_ options: ModelCheckOptions,
                             progress: ((_ depth: Int, _ states: Int) -> Void)? = nil) -> ModelCheckResult {
        let transitions = ModelTransitions(options: options)
        let quorum = options.acceptors / 2 + 1
        let offered = options.offeredValues
        let workers = max(1, options.workers)

        let initial = transitions.initialState()
        var visited: Set<Fingerprint> = [Fingerprint(initial)]
        // Per state: its parent and the index of the move that reached it. They rebuild a path,
        // and they are the frontier: a level's states are rebuilt from them (`PathReplay`),
        // never held.
        var parent: [Int32] = [-1]
        var move: [UInt16] = [0]
        var frontier = 0..<1
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
            let nextFirstIndex = frontier.upperBound
            var freshInLevel = 0
            // The level in chunks, so that the moves found in pass 1 are held for one chunk only.
            var chunkStart = frontier.lowerBound
            while chunkStart < frontier.upperBound {
                let chunk = chunkStart..<min(chunkStart + max(1, options.chunkStates), frontier.upperBound)
                chunkStart = chunk.upperBound
                // Pass 1, in parallel: where every move of every state of the chunk leads.
                let moves = parent.withUnsafeBufferPointer { parents in
                    move.withUnsafeBufferPointer { moveChoices in
                        inParallel(chunk.count, workers: workers) { range in
                            var replay = PathReplay(transitions: transitions, initial: initial, parent: parents, move: moveChoices)
                            var found: [(fingerprint: Fingerprint, from: Int32, choice: UInt16)] = []
                            for position in range {
                                let state = replay.state(chunk.lowerBound + position)
                                for (choice, action) in transitions.actions(in: state).enumerated() {
                                    var successor = state
                                    guard transitions.apply(action, to: &successor) else { continue }
                                    found.append((Fingerprint(successor), Int32(chunk.lowerBound + position), UInt16(choice)))
                                }
                            }
                            return found
                        }
                    }
                }
                // Pass 2, in order: number the states not seen before.
                var fresh: [(from: Int32, choice: UInt16, edgesSoFar: Int)] = []
                var truncated = false
                numbering: for piece in moves {
                    for found in piece {
                        edges += 1
                        guard visited.insert(found.fingerprint).inserted else { continue }
                        parent.append(found.from)
                        move.append(found.choice)
                        fresh.append((found.from, found.choice, edges))
                        if visited.count >= min(options.statesMax, ModelCheckOptions.statesLimit) {
                            truncated = true
                            break numbering
                        }
                    }
                }
                // Pass 3, in parallel: rebuild the new states and check them.
                let violations = parent.withUnsafeBufferPointer { parents in
                    move.withUnsafeBufferPointer { moveChoices in
                        inParallel(fresh.count, workers: workers) { range -> (position: Int, property: Property, detail: String)? in
                            var replay = PathReplay(transitions: transitions, initial: initial, parent: parents, move: moveChoices)
                            for position in range {
                                var successor = replay.state(Int(fresh[position].from))
                                let action = transitions.actions(in: successor)[Int(fresh[position].choice)]
                                transitions.apply(action, to: &successor)
                                if let found = ModelProperties.violation(in: successor, quorum: quorum, offered: offered) {
                                    return (position, found.0, found.1)
                                }
                            }
                            return nil
                        }
                    }
                }
                if let first = violations.compactMap({ $0 }).min(by: { $0.position < $1.position }) {
                    // What a one-thread search would have reported: it stops at the first violation.
                    depth += 1
                    edges = fresh[first.position].edgesSoFar
                    let index = nextFirstIndex + freshInLevel + first.position
                    return result(violation: (first.property, first.detail), at: index, states: index + 1)
                }
                if truncated {
                    return result(violation: nil, at: nil, states: visited.count, truncated: true)
                }
                freshInLevel += fresh.count
            }
            if freshInLevel > 0 { depth += 1 }
            progress?(depth, visited.count)
            frontier = nextFirstIndex..<(nextFirstIndex + freshInLevel)
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
        var chain: [Int] = []
        parent.withUnsafeBufferPointer { PathReplay.ancestry(of: index, parent: $0, into: &chain) }
        var state = transitions.initialState()
        var lines: [String] = []
        for next in chain.dropFirst() {
            let action = transitions.actions(in: state)[Int(move[next])]
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

/// Rebuilds states of the search from the moves that reached them (`parent`, `move`), keeping
/// the path of states to the last one rebuilt. The search numbers a level's states in the
/// order of their parents, so consecutive states share all of their path but its last moves:
/// rebuilding one costs about one move, and the search holds a path per worker instead of a
/// level of states (which took about 4 KB a state: depth 16 of the two-proposer Multi-Paxos
/// search did not fit in 24 GB).
struct PathReplay {
    let transitions: ModelTransitions
    let parent: UnsafeBufferPointer<Int32>
    let move: UnsafeBufferPointer<UInt16>
    /// From the initial state (index 0) down to the last state rebuilt.
    private var path: [(index: Int, state: ModelState)]
    private var chain: [Int] = []

    init(transitions: ModelTransitions, initial: ModelState, parent: UnsafeBufferPointer<Int32>, move: UnsafeBufferPointer<UInt16>) {
        self.transitions = transitions
        self.parent = parent
        self.move = move
        self.path = [(0, initial)]
    }

    /// The indices of the states from the initial one (0) down to `index`, into `chain`.
    static func ancestry(of index: Int, parent: UnsafeBufferPointer<Int32>, into chain: inout [Int]) {
        chain.removeAll(keepingCapacity: true)
        var cursor = index
        while cursor > 0 {
            chain.append(cursor)
            cursor = Int(parent[cursor])
        }
        chain.append(0)
        chain.reverse()
    }

    mutating func state(_ index: Int) -> ModelState {
        // The indices from the initial state down to `index`, and how many the path shares.
        Self.ancestry(of: index, parent: parent, into: &chain)
        var shared = 1
        while shared < min(chain.count, path.count), path[shared].index == chain[shared] { shared += 1 }
        path.removeSubrange(shared...)
        for next in chain[shared...] {
            var state = path[path.count - 1].state
            let action = transitions.actions(in: state)[Int(move[next])]
            transitions.apply(action, to: &state)
            path.append((next, state))
        }
        return path[path.count - 1].state
    }
}
