import ArgumentParser
import Foundation

@main
struct PaxosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paxos",
        abstract: "A Basic Paxos cluster that keeps a replicated file consistent, over XML-RPC.",
        discussion: """
            Exit codes: 0 success; 1 the node answered with a fault (or a check failed); \
            2 no node could be reached; 64 the command line is wrong.
            """,
        subcommands: [
            ClusterCommand.self, NodeCommand.self, SecretCommand.self,
            SubmitCommand.self, ProposeCommand.self, ReadCommand.self, StatusCommand.self, ResetCommand.self,
            BenchCommand.self, ScenarioCommand.self, ConsoleCommand.self, SimulateCommand.self, ModelCheckCommand.self,
        ]
    )

    static func main() async {
        // A closed pipe (`paxos scenario … | head`) is an error on write, not a silent death
        // that would leave a temporary cluster behind.
        signal(SIGPIPE, SIG_IGN)
        await main(nil)
    }
}
