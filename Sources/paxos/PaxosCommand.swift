import ArgumentParser

@main
struct PaxosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paxos",
        abstract: "A Basic Paxos cluster that keeps a replicated file consistent, over XML-RPC."
    )
}
