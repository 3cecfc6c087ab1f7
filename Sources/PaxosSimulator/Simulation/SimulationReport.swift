import PaxosCore

/// How runs are printed. Nothing here reads a clock: the same run prints the same bytes.
public enum SimulationReport {
    /// One line of figures for one run.
    public static func line(for result: SimulationResult) -> String {
        let f = result.figures
        let verdict = result.violation == nil ? "ok" : "FAILED (\(result.violation!.property.rawValue))"
        return "seed \(result.seed): \(verdict); \(f.decisions) decisions, \(f.submitsAcknowledged)/\(f.submits) submits acknowledged, "
            + "\(f.messagesSent) messages, \(f.faults) faults (\(faultBreakdown(f))), \(f.events) events, \(formatMilliseconds(f.simulatedMicroseconds)) simulated"
    }

    public static func faultBreakdown(_ f: RunFigures) -> String {
        "\(f.messagesDropped) dropped, \(f.messagesDuplicated) duplicated, \(f.messagesDelayed) delayed, "
            + "\(f.partitions) partitions, \(f.crashes) crashes, \(f.tornWrites) torn writes"
    }

    /// The violated property, the steps that led there, and the command that replays the run.
    public static func failure(for result: SimulationResult) -> String {
        guard let violation = result.violation else { return "" }
        var text = "seed \(result.seed) violates \(violation.property.rawValue)\n  \(violation)\n"
        if !result.trace.isEmpty {
            text += "  last \(result.trace.count) steps:\n"
            for step in result.trace { text += "    \(step)\n" }
        }
        text += "  replay: \(replayCommand(seed: result.seed, options: result.options))\n"
        return text
    }

    public static func replayCommand(seed: UInt64, options: SimulationOptions) -> String {
        // A swarm run's options all come from its seed.
        var command = options.swarm ? "paxos simulate --seed \(seed) --swarm"
            : "paxos simulate --seed \(seed) --nodes \(options.nodes) --steps \(options.steps) --faults \(options.faults)"
        if options.disk != SimulationOptions().disk { command += " --disk \(options.disk.rawValue)" }
        // A swarm seed draws how messages travel; alone where it would draw calls is the base's.
        if !options.peerCalls && (!options.swarm || SwarmOptions.draw(seed: seed).peerCalls) {
            command += " --peer-messages alone"
        }
        for mutation in options.mutations.sorted(by: { $0.rawValue < $1.rawValue }) {
            command += " --mutation \(mutation.rawValue)"
        }
        return command
    }

    public static func totals(_ f: RunFigures, seeds: Int, failures: Int) -> String {
        "\(seeds) seeds, \(failures) failing; \(f.decisions) decisions, \(f.submitsAcknowledged)/\(f.submits) submits acknowledged, "
            + "\(f.messagesSent) messages, \(f.faults) faults injected (\(faultBreakdown(f))), \(f.events) events"
    }
}
