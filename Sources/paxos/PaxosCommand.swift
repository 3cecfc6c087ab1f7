import ArgumentParser

@main
struct PaxosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paxos",
        abstract: "A Basic Paxos cluster that keeps a replicated file consistent, over XML-RPC.",
        subcommands: [SimulateCommand.self, ModelCheckCommand.self]  // TEMPORARY (sim branch): the owner of this file wires subcommands
    )
}
