import ArgumentParser
import Foundation
import PaxosCore
import PaxosSimulator

/// `paxos model-check`: every interleaving of a tiny configuration, over the real core.
struct ModelCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model-check",
        abstract: "Explore every interleaving of a tiny cluster (delivery order, duplicates, crash and restart) and check agreement and validity.",
        discussion: """
            Breadth-first search with state hashing over the real PaxosNode. Prints the number of \
            distinct states explored, the depth, and a shortest counterexample if a property fails.
            """
    )

    @Option(help: "Nodes, each an acceptor.")
    var acceptors: Int = ModelCheckOptions().acceptors

    @Option(help: "Nodes that propose their own value for instance 1.")
    var proposers: Int = ModelCheckOptions().proposers

    @Option(help: "Ballots each proposer may start.")
    var rounds: Int = ModelCheckOptions().rounds

    @Option(help: "Crash-and-restart moves allowed in one path.")
    var crashes: Int = ModelCheckOptions().crashes

    @Option(help: "Disk losses allowed in one path: the node restarts from an empty log, rebuilt as --rejoin does.")
    var diskLosses: Int = ModelCheckOptions().diskLosses

    @Flag(inversion: .prefixedNo, help: "Whether a message may be delivered more than once.")
    var duplicates = true

    @Flag(help: "Make dropping a message an explicit move (safety-equivalent to never delivering it; many more states).")
    var explicitDrops = false

    @Flag(help: "Also let a node take every message from one peer as one step, as a live peer call is taken (PaxosNode.onMessages).")
    var peerCalls = false

    @Flag(help: "Print the states seen after each level of the search.")
    var verbose = false

    @Flag(help: "Check Multi-Paxos through submits with the live configuration (range promises, leadership, forwarding, announced decisions, heartbeats, deadlines) instead of single-decree propose.")
    var multiPaxos = false

    @Option(help: "With --multi-paxos: heartbeats each node may take in one path.")
    var heartbeats: Int = ModelCheckOptions().heartbeats

    @Option(help: "Explore only paths of at most this many moves.")
    var depthMax: Int?

    @Option(help: "Stop after this many states.")
    var statesMax: Int = ModelCheckOptions().statesMax

    @Option(help: "A deliberate bug to give every node (repeatable): \(PaxosConfiguration.Mutation.allCases.map(\.rawValue).joined(separator: ", ")).")
    var mutation: [String] = []

    @Option(help: "Threads that search each level (default: one per core). The result does not depend on it.")
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard (1...256).contains(workers) else { throw ValidationError("--workers must be within 1...256") }
        guard (1...7).contains(acceptors) else { throw ValidationError("--acceptors must be within 1...7") }
        guard (1...acceptors).contains(proposers) else { throw ValidationError("--proposers must be within 1...\(acceptors)") }
        guard (1...20).contains(rounds) else { throw ValidationError("--rounds must be within 1...20") }
        guard (0...10).contains(crashes) else { throw ValidationError("--crashes must be within 0...10") }
        guard (0...3).contains(diskLosses) else { throw ValidationError("--disk-losses must be within 0...3") }
        guard (1...ModelCheckOptions.statesLimit).contains(statesMax) else {
            throw ValidationError("--states-max must be within 1...\(ModelCheckOptions.statesLimit) (states are numbered in 32 bits)")
        }
        guard (0...20).contains(heartbeats) else { throw ValidationError("--heartbeats must be within 0...20") }
        if let depthMax, depthMax < 1 { throw ValidationError("--depth-max must be positive") }
    }

    func run() throws {
        var options = ModelCheckOptions(acceptors: acceptors, proposers: proposers, rounds: rounds, crashes: crashes)
        options.duplicates = duplicates
        options.explicitDrops = explicitDrops
        options.peerCalls = peerCalls
        options.diskLosses = diskLosses
        options.statesMax = statesMax
        options.multiPaxos = multiPaxos
        options.heartbeats = heartbeats
        options.depthMax = depthMax
        options.workers = workers
        for name in mutation {
            guard let parsed = PaxosConfiguration.Mutation(rawValue: name) else {
                throw ValidationError("unknown mutation '\(name)'")
            }
            options.mutations.insert(parsed)
        }
        let clock = ContinuousClock()
        let start = clock.now
        let result = ModelChecker.check(options) { depth, states in
            if verbose { print("  depth \(depth): \(states) states") }
        }
        let elapsed = clock.now - start
        print(ModelCheckReport.text(for: result), terminator: "")
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("wall clock: \(elapsed), \(Int((Double(result.states) / max(seconds, 1e-9)).rounded())) states/s, "
            + "\(Int((Double(result.transitions) / max(seconds, 1e-9)).rounded())) transitions/s, \(workers) worker\(workers == 1 ? "" : "s")")
        if result.violation != nil || result.truncated { throw ExitCode(1) }
    }
}
