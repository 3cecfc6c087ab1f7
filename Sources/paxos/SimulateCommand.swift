import ArgumentParser
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

    @Flag(help: "Print every run's figures.")
    var verbose = false

    @Flag(help: "With --seed: print the run's last steps even if it passes.")
    var trace = false

    func validate() throws {
        guard (seeds == nil) != (seed == nil) || (seeds == nil && seed == nil) else {
            throw ValidationError("give --seeds or --seed, not both")
        }
        guard SimulationOptions.nodesRange.contains(nodes) else {
            throw ValidationError("--nodes must be within \(SimulationOptions.nodesRange)")
        }
        guard steps >= 0 else { throw ValidationError("--steps must not be negative") }
        if let seeds, seeds < 1 { throw ValidationError("--seeds must be at least 1") }
    }

    func run() throws {
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
        if let seed {
            try runOne(seed: seed, options: options)
        } else {
            try runMany(count: seeds ?? 1_000, options: options)
        }
    }

    private func runOne(seed: UInt64, options: SimulationOptions) throws {
        let result = trace ? Simulator.runTraced(seed: seed, options: options) : Simulator.run(seed: seed, options: options)
        print(SimulationReport.line(for: result))
        if result.violation != nil {
            print(SimulationReport.failure(for: result), terminator: "")
            throw ExitCode(1)
        }
        if trace {
            for step in result.trace { print("    \(step)") }
        }
    }

    private func runMany(count: Int, options: SimulationOptions) throws {
        print("simulating \(count) seeds from \(firstSeed): \(options.nodes) nodes, \(options.steps) steps, faults \(options.faults), disk \(options.disk.rawValue)")
        let clock = ContinuousClock()
        let start = clock.now
        var totals = RunFigures()
        var ran = 0
        let progressEvery = max(1, count / 20)
        for offset in 0..<count {
            let seed = firstSeed &+ UInt64(offset)
            let result = Simulator.run(seed: seed, options: options)
            totals.add(result.figures)
            ran += 1
            if verbose { print(SimulationReport.line(for: result)) }
            if result.violation != nil {
                print(SimulationReport.line(for: result))
                print(SimulationReport.failure(for: result), terminator: "")
                print(SimulationReport.totals(totals, seeds: ran, failures: 1))
                throw ExitCode(1)
            }
            if ran % progressEvery == 0 || ran == count {
                print("  \(ran)/\(count) seeds ok, \(totals.decisions) decisions, \(totals.faults) faults")
            }
        }
        print(SimulationReport.totals(totals, seeds: ran, failures: 0))
        let elapsed = (clock.now - start).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        let rate = { (value: Int) in Int((Double(value) / max(seconds, 1e-9)).rounded()) }
        let centiseconds = Int((seconds * 100).rounded())
        print("wall clock: \(centiseconds / 100).\(centiseconds % 100 < 10 ? "0" : "")\(centiseconds % 100) s, "
            + "\(rate(ran)) seeds/s, \(rate(totals.decisions)) decisions/s, \(rate(totals.events)) events/s")
    }
}
