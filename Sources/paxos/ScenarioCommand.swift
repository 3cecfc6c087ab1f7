import ArgumentParser
import Foundation
import PaxosLab
import PaxosServer

struct ScenarioCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenario",
        abstract: "Play one of the lecture's scenarios on a live cluster, with the lecture's exact interleaving.",
        discussion: """
            Scenarios: \(Scenario.allCases.map { "\($0.rawValue) (\($0.summary))" }.joined(separator: "; ")). \
            Aliases: a-wins, b-wins, bb-wins. \
            If no cluster answers at the base port, a temporary one is started and stopped at the end. \
            A cluster that answers is reset first (the lab's restart), so the ballots are the lecture's \
            3.1 and 4.5; --keep plays on the next free instance instead. The run prints every step, \
            every acceptor's final state and every file, and exits non-zero if the outcome is not the lecture's.
            """
    )

    @Argument(help: "The scenario: \(Scenario.allNames.joined(separator: ", ")).")
    var name: String

    @Option(help: "Nodes of a temporary cluster (3-9); a running cluster keeps its own size.")
    var nodes = 5

    @Option(help: "Port of node 1.")
    var basePort = 8000

    @Option(help: "Write the message sequence chart to FILE.svg, or as Mermaid to FILE.md.")
    var diagram: String?

    @Option(help: "Proposer A's value (the lecture's X).")
    var valueA = "X"

    @Option(help: "Proposer B's value (the lecture's Y).")
    var valueB = "Y"

    @Flag(help: "Do not reset a running cluster; play on its next free instance.")
    var keep = false

    @Option(help: "Rounds of the forced duel in the livelock scenario.")
    var rounds = 3

    @OptionGroup var secret: OperatorSecretOptions

    func validate() throws {
        guard Scenario.named(name) != nil else {
            throw ValidationError("unknown scenario '\(name)'; choose one of: \(Scenario.allNames.joined(separator: ", "))")
        }
        guard (3...9).contains(nodes) else { throw ValidationError("--nodes must be 3-9 (the scenarios need two overlapping majorities)") }
        guard (1...20).contains(rounds) else { throw ValidationError("--rounds must be 1-20") }
        if let diagram, !(diagram.hasSuffix(".svg") || diagram.hasSuffix(".md")) {
            throw ValidationError("--diagram must name a .svg or a .md file")
        }
    }

    func run() async throws {
        let scenario = Scenario.named(name)!
        let session = try await LabSession.open(basePort: basePort, nodes: nodes, executable: LocalCluster.currentExecutable,
                                                secret: secret.secret, print: say)
        do {
            if !keep && !session.startedItsOwnCluster {
                say("resetting the cluster (the lab's restart) so the ballots are the lecture's; --keep avoids this")
            }
            if !keep { try await session.cluster.reset() }
            let runner = ScenarioRunner(cluster: session.cluster, livelockRounds: rounds, print: say)
            let count = session.cluster.nodes.count
            let result = try await runner.run(scenario, a: 0, b: count - 1, valueA: valueA, valueB: valueB)
            if let diagram {
                let text = diagram.hasSuffix(".svg") ? result.diagram.svg() : "```mermaid\n" + result.diagram.mermaid() + "```\n"
                try text.write(toFile: diagram, atomically: true, encoding: .utf8)
                say("diagram: \(diagram) (\(result.diagram.messageCount) messages)")
            }
            await session.close()
            if !result.outcome.succeeded { throw ExitCode(1) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            await session.close()
            printError("\(error)")
            throw ExitCode(1)
        }
    }
}

struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "The seed's interactive client: set value, A_wins, B_wins, BB_wins, restart (reads a terminal or a pipe).",
        discussion: Console.help
    )

    @Option(help: "Port of node 1 of the cluster.")
    var basePort = 8000

    @Option(help: "Nodes of a temporary cluster, started if none answers at the base port.")
    var nodes = 5

    @OptionGroup var secret: OperatorSecretOptions

    func validate() throws {
        guard (1...9).contains(nodes) else { throw ValidationError("--nodes must be 1-9") }
    }

    func run() async throws {
        let session = try await LabSession.open(basePort: basePort, nodes: nodes, executable: LocalCluster.currentExecutable,
                                                secret: secret.secret, print: say)
        let console = Console(cluster: session.cluster, print: say)
        let interactive = isatty(0) == 1
        if interactive { say("Type help for the commands, exit to leave.") }
        while true {
            if interactive { FileHandle.standardOutput.write(Data("> ".utf8)) }
            guard let line = readLine() else { break }
            if !interactive && !line.trimmingCharacters(in: .whitespaces).isEmpty { say("> \(line)") }
            if await !console.execute(line) { break }
        }
        await session.close()
    }
}
