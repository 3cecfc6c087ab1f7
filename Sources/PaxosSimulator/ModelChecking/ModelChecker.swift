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
    public static func check(_ options: ModelCheckOptions,
                             progress: ((_ depth: Int, _ states: Int) -> Void)? = nil) -> ModelCheckResult {
        let transitions = ModelTransitions(options: options)
        let quorum = options.acceptors / 2 + 1
        let offered = options.offeredValues

        let initial = transitions.initialState()
        var visited: [Fingerprint: Int] = [Fingerprint(initial): 0]
        // Per state: its parent and the index of the move that reached it, to rebuild a path.
        var parent: [Int32] = [-1]
        var move: [UInt16] = [0]
        var frontier: [(state: ModelState, index: Int)] = [(initial, 0)]
        var depth = 0
        var edges = 0
        var truncated = false

        func result(violation: (Property, String)?, at index: Int?) -> ModelCheckResult {
            let path = index.map { rebuildPath(to: $0, parent: parent, move: move, transitions: transitions) } ?? []
            return ModelCheckResult(options: options, states: visited.count, transitions: edges, depth: depth,
                                    violation: violation.map { (property: $0.0, detail: $0.1) },
                                    counterexample: path, truncated: truncated)
        }

        if let violation = ModelProperties.violation(in: initial, quorum: quorum, offered: offered) {
            return result(violation: violation, at: 0)
        }
        var depthBounded = false
        search: while !frontier.isEmpty {
            if let depthMax = options.depthMax, depth >= depthMax {
                depthBounded = true
                break
            }
            var next: [(state: ModelState, index: Int)] = []
            for (state, index) in frontier {
                let actions = transitions.actions(in: state)
                for (choice, action) in actions.enumerated() {
                    var successor = state
                    guard transitions.apply(action, to: &successor) else { continue }
                    edges += 1
                    let fingerprint = Fingerprint(successor)
                    guard visited[fingerprint] == nil else { continue }
                    let successorIndex = parent.count
                    visited[fingerprint] = successorIndex
                    parent.append(Int32(index))
                    move.append(UInt16(choice))
                    if let violation = ModelProperties.violation(in: successor, quorum: quorum, offered: offered) {
                        depth += 1
                        return result(violation: violation, at: successorIndex)
                    }
                    if visited.count >= options.statesMax {
                        truncated = true
                        break search
                    }
                    next.append((successor, successorIndex))
                }
            }
            if !next.isEmpty { depth += 1 }
            progress?(depth, visited.count)
            frontier = next
        }
        var final = result(violation: nil, at: nil)
        final.depthBounded = depthBounded
        return final
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

/// A 64-bit summary of a state.
struct Fingerprint: Hashable {
    var value: Int

    init(_ state: ModelState) { value = state.hashValue }

    func hash(into hasher: inout Hasher) { hasher.combine(value) }
}
