/// How a model-checking run is printed.
public enum ModelCheckReport {
    public static func text(for result: ModelCheckResult) -> String {
        let o = result.options
        var text = "model: " + (o.multiPaxos ? "Multi-Paxos (submits, live configuration, \(o.heartbeats) heartbeats per node), " : "Basic Paxos (propose), ")
            + "\(o.acceptors) acceptors, \(o.proposers) proposers, \(o.rounds) rounds, \(o.crashes) crashes, "
            + (o.diskLosses > 0 ? "\(o.diskLosses) disk loss\(o.diskLosses == 1 ? "" : "es"), " : "")
            + "duplicates \(o.duplicates ? "on" : "off"), explicit drops \(o.explicitDrops ? "on" : "off")"
            + (o.peerCalls ? ", peer calls on" : "")
        if !o.mutations.isEmpty {
            text += ", mutations \(o.mutations.map(\.rawValue).sorted().joined(separator: ","))"
        }
        text += "\n\(result.states) states, \(result.transitions) transitions, depth \(result.depth)"
        if result.truncated { text += " (stopped at the limit of \(min(o.statesMax, ModelCheckOptions.statesLimit)) states: not exhaustive)" }
        if result.depthBounded { text += " (bounded: every path of up to \(result.depth) moves, not longer ones)" }
        text += "\n"
        guard let violation = result.violation else {
            return text + "agreement and validity hold in every state: 0 violations\n"
        }
        text += "VIOLATION of \(violation.property.rawValue): \(violation.detail)\ncounterexample (\(result.counterexample.count) moves):\n"
        for (number, step) in result.counterexample.enumerated() {
            text += "  \(number + 1). \(step)\n"
        }
        return text
    }
}
