import ArgumentParser
import Foundation
import PaxosCore
import PaxosSimulator

/// `paxos simulate`: seeded deterministic runs of a whole cluster over the real core.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run seeded, deterministic simulations of a cluster with faults, checking Paxos's invariants.",
        discussion: """
            Each seed is one run: faults for --steps events, then calm until the cluster settles. \
            The same seed and options replay the same run, byte for byte. A failing seed prints \
            the violated property, its last steps and the command that replays it.
            """
    )

    @Option(help: "Run this many seeds, starting at --first-seed.")
    var seeds: Int?

    @Option(help: "Run this one seed, printing its figures (and trace, with --trace).")
    var seed: UInt64?

    @Option(help: "The first seed of --seeds.")
    var firstSeed: UInt64 = 1

    @Option(help: "Nodes in the cluster (3 to 7).")
    var nodes: Int = 3

    @Option(help: "Events with faults injected, before the faults stop.")
    var steps: Int = SimulationOptions().steps

    @Option(help: "Faults to inject: all, none, or a comma-separated list of \(Fault.allCases.map(\.rawValue).joined(separator: ", ")).")
    var faults: String = "all"

    @Option(help: "A deliberate bug to give every node (repeatable): \(PaxosConfiguration.Mutation.allCases.map(\.rawValue).joined(separator: ", ")).")
    var mutation: [String] = []

    @Option(help: "Each node's disk: wal (the real PaxosLog over an in-memory file system) or records (no encoding).")
    var disk: String = SimulationOptions.Disk.writeAheadLog.rawValue

    @Option(help: "How messages between nodes travel: calls (as the live node: batched per peer, one call in flight, in order) or alone (each message on its own, links reorder). The swarm draws it.")
    var peerMessages: String = "calls"

    @Option(help: "Threads running seeds at once (default: one per core). The output does not depend on it.")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Swarm: each seed draws its own cluster size, fault mix and rates, workload and timings from the seed (--nodes, --steps and --faults are then ignored).")
    var swarm = false

    @Flag(help: "Print how often each interesting event happened over the seeds.")
    var coverage = false

    @Flag(help: "Print where the time went: each kind of event's count, microseconds per event and share, while the faults last and after (it times every event, a few percent slower).")
    var cost = false

    @Flag(help: "Print every run's figures.")
    var verbose = false

    @Flag(help: "With --seed: print the run's last steps even if it passes.")
    var trace = false

    @Option(help: "With --seed: how many of the run's last steps a failure or --trace prints.")
    var traceSteps = SimulationOptions().traceStepsMax

    @Option(help: "Play a lecture scenario as an exact schedule instead: already-chosen, seen-not-chosen, unseen-not-chosen, livelock.")
    var scenario: String?

    @Option(help: "With --scenario: write its message sequence chart to FILE.svg, or as Mermaid to FILE.md.")
    var diagram: String?

    func validate() throws {
        guard (seeds == nil) != (seed == nil) || (seeds == nil && seed == nil) else {
            throw ValidationError("give --seeds or --seed, not both")
        }
        guard (1...1_000_000).contains(traceSteps) else { throw ValidationError("--trace-steps must be within 1...1000000") }
        guard SimulationOptions.nodesRange.contains(nodes) else {
            throw ValidationError("--nodes must be within \(SimulationOptions.nodesRange)")
        }
        guard steps >= 0 else { throw ValidationError("--steps must not be negative") }
        if let seeds, seeds < 1 { throw ValidationError("--seeds must be at least 1") }
        guard (1...256).contains(jobs) else { throw ValidationError("--jobs must be within 1...256") }
    }

    func run() throws {
        if let scenario {
            try runScenario(scenario)
            return
        }
        let faultMix: FaultMix
        do { faultMix = try FaultMix(parsing: faults) } catch { throw ValidationError("\(error)") }
        var options = SimulationOptions(nodes: nodes, steps: steps, faults: faultMix)
        for name in mutation {
            guard let parsed = PaxosConfiguration.Mutation(rawValue: name) else {
                throw ValidationError("unknown mutation '\(name)'")
            }
            options.mutations.insert(parsed)
        }
        guard let diskKind = SimulationOptions.Disk(rawValue: disk) else {
            throw ValidationError("--disk must be one of \(SimulationOptions.Disk.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        options.disk = diskKind
        switch peerMessages {
        case "calls": options.peerCalls = true
        case "alone": options.peerCalls = false
        default: throw ValidationError("--peer-messages must be calls or alone")
        }
        options.traceStepsMax = traceSteps
        if let seed {
            try runOne(seed: seed, options: swarm ? SwarmOptions.draw(seed: seed, base: options) : options)
        } else {
            try runMany(count: seeds ?? 1_000, options: options)
        }
    }

    /// The lecture's scenarios over the real core, every message delivered by hand in the
    /// lecture's order: the same outcomes (and the same diagrams) as on the live cluster.
    private func runScenario(_ name: String) throws {
        let cluster: ScheduledCluster
        let expected: String
        switch name.lowercased() {
        case "already-chosen", "a-wins":
            cluster = LectureScenarios.alreadyChosen().cluster
            expected = "X"
        case "seen-not-chosen", "b-wins":
            cluster = LectureScenarios.seenNotChosen().cluster
            expected = "X"
        case "unseen-not-chosen", "bb-wins":
            cluster = LectureScenarios.unseenNotChosen().cluster
            expected = "Y"
        case "livelock":
            cluster = LectureScenarios.livelock(duels: 3)
            expected = "(nothing: livelock)"
        default:
            throw ValidationError("unknown scenario '\(name)'; choose already-chosen, seen-not-chosen, unseen-not-chosen or livelock")
        }
        for line in cluster.log { print("  " + line) }
        let chosen = (1...cluster.nodes.count).compactMap { cluster.chosen(at: $0)?.description }
        let outcome = chosen.first ?? "(nothing: livelock)"
        print("outcome: \(outcome) (the lecture's: \(expected))")
        if let diagram {
            guard diagram.hasSuffix(".svg") || diagram.hasSuffix(".md") else {
                throw ValidationError("--diagram must name a .svg or a .md file")
            }
            let chart = cluster.diagram(title: "\(name) (simulated) — \(outcome)")
            let text = diagram.hasSuffix(".svg") ? chart.svg() : "```mermaid\n" + chart.mermaid() + "```\n"
            try text.write(toFile: diagram, atomically: true, encoding: .utf8)
            print("diagram: \(diagram) (\(chart.messageCount) messages)")
        }
        if Set(chosen).count > 1 || outcome != expected { throw ExitCode(1) }
    }

    private func runOne(seed: UInt64, options: SimulationOptions) throws {
        let clock = cost ? MonotonicClock.nanoseconds : nil
        let result = trace ? Simulator.runTraced(seed: seed, options: options, costClock: clock)
            : Simulator.run(seed: seed, options: options, costClock: clock)
        print(SimulationReport.line(for: result))
        if let runCost = result.cost {
            print("where the time went (wall time of each event):")
            print(runCost.table())
        }
        if options.swarm { print(SwarmOptions.describe(options)) }
        if result.violation != nil {
            print(SimulationReport.failure(for: result), terminator: "")
            throw ExitCode(1)
        }
        if trace {
            for step in result.trace { print("    \(step)") }
        }
    }

    /// Runs the seeds in batches, each batch spread over `jobs` threads, then reports every
    /// result of the batch in seed order: the printout (progress, verbose lines, the first
    /// failing seed and the totals up to it) is the same as one thread's, only sooner.
    private func runMany(count: Int, options: SimulationOptions) throws {
        if swarm {
            print("simulating \(count) seeds from \(firstSeed): swarm (each seed draws its own configuration), disk \(options.disk.rawValue)")
        } else {
            print("simulating \(count) seeds from \(firstSeed): \(options.nodes) nodes, \(options.steps) steps, faults \(options.faults), disk \(options.disk.rawValue)")
        }
        let clock = ContinuousClock()
        let start = clock.now
        let cpuStart = CPUTime.now()
        var totals = RunFigures()
        var costs = SimulationCost()
        var ran = 0
        let progressEvery = max(1, count / 20)
        let batchSize = jobs * 16
        var batchStart = 0
        while batchStart < count {
            let batch = ParallelSeeds.run(first: firstSeed &+ UInt64(batchStart), count: min(batchSize, count - batchStart),
                                          jobs: jobs, options: options, swarm: swarm,
                                          costClock: cost ? MonotonicClock.nanoseconds : nil)
            batchStart += batch.count
            for result in batch {
                totals.add(result.figures)
                if let runCost = result.cost { costs.add(runCost) }
                ran += 1
                if verbose {
                    print(SimulationReport.line(for: result))
                    if swarm { print("  " + SwarmOptions.describe(result.options)) }
                }
                if result.violation != nil {
                    print(SimulationReport.line(for: result))
                    if swarm { print(SwarmOptions.describe(result.options)) }
                    print(SimulationReport.failure(for: result), terminator: "")
                    print(SimulationReport.totals(totals, seeds: ran, failures: 1))
                    throw ExitCode(1)
                }
                if ran % progressEvery == 0 || ran == count {
                    print("  \(ran)/\(count) seeds ok, \(totals.decisions) decisions, \(totals.faults) faults")
                }
            }
        }
        print(SimulationReport.totals(totals, seeds: ran, failures: 0))
        if coverage {
            print("coverage over \(ran) seeds:")
            print(totals.coverage.table(seeds: ran))
        }
        let seconds = (clock.now - start).seconds
        let cpuSeconds = CPUTime.now() - cpuStart
        let rate = { (value: Int, seconds: Double) in Int((Double(value) / max(seconds, 1e-9)).rounded()) }
        print("wall clock: \(String(format: "%.2f", seconds)) s on \(jobs) thread\(jobs == 1 ? "" : "s"), "
            + "\(rate(ran, seconds)) seeds/s, \(rate(totals.decisions, seconds)) decisions/s, \(rate(totals.events, seconds)) events/s")
        if cost {
            print("where the time went over \(ran) seeds (wall time of each event on its thread):")
            print(costs.table())
        }
        print("per core: \(String(format: "%.2f", cpuSeconds)) s of CPU, \(rate(totals.decisions, cpuSeconds)) decisions/s, "
            + "\(rate(totals.events, cpuSeconds)) events/s")
    }
}
