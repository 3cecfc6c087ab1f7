import ArgumentParser
import PaxosServer

struct SecretCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secret",
        abstract: "Create the cluster secret that members and admin calls are authenticated by.",
        subcommands: [Generate.self]
    )

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate",
            abstract: "Write a new random 256-bit secret to FILE (mode 0600; an existing file is never overwritten).",
            discussion: """
                Copy the file to every member's host (over a channel you trust) and name it in cluster.json \
                as "secretFile", or start each node with --secret-file FILE. To rotate it, generate a new \
                file and restart every node with it: nodes with different secrets refuse each other's calls.
                """
        )

        @Argument(help: "The file to create.")
        var file: String

        func run() throws {
            do {
                try ClusterSecret.generate(atPath: file)
            } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
            print("wrote a new cluster secret to \(file) (mode 0600)")
        }
    }
}
