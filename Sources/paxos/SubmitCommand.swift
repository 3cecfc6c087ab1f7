import ArgumentParser
import Foundation
import PaxosClient
import PaxosServer

/// `paxos submit`: one value, with a request id, failing over between the members until the
/// deadline (through `PaxosClient`, the library applications use, so both retry alike).
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Append a value to the replicated file; returns once a majority has durably chosen it.",
        discussion: """
            The submit carries a request id (a fresh one unless --request-id gives it). When a node \
            does not answer, or answers that the value was not chosen or may not have been, the \
            same submit with the same id is tried at the other members until --timeout: a value \
            that was chosen after all is reported, never appended twice.
            """
    )

    @Argument(help: "The value: UTF-8 text without line breaks or NUL, at most 64 KiB.")
    var value: String

    @OptionGroup var members: SubmitMembers

    @Option(help: "Seconds until the submit gives up, every retry included.")
    var timeout: Double = 30

    @Option(help: "The request id (1-64 printable ASCII characters): repeat the id of a submit whose outcome was unknown to learn it without a second copy.")
    var requestId: String?

    @OptionGroup var credentials: ClientCredentialOptions

    func validate() throws {
        guard timeout > 0, timeout <= 86_400 else { throw ValidationError("--timeout must be between 0 and 86400 seconds") }
        if let requestId {
            guard (1...64).contains(requestId.utf8.count), requestId.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else {
                throw ValidationError("--request-id must be 1-64 printable ASCII characters")
            }
        }
    }

    func run() async throws {
        var configuration = PaxosClientConfiguration()
        configuration.startWithFirstNode = true
        do {
            if let file = credentials.clientPasswordFile, let first = try ClientPasswords.entries(path: file).first {
                configuration.credentials = (first.user, first.password)
            }
        } catch {
            printError("\(error)")
            throw ExitCode(64)
        }
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        let nodes: [PaxosNodeAddress]
        do {
            nodes = try await members.resolve(configuration: configuration)
        } catch {
            printError("\(error)")
            throw ExitCode(64)
        }
        let client = PaxosClient(nodes: nodes, configuration: configuration)
        defer { Task { await client.shutdown() } }
        do {
            let submitted = try await client.submit(value, requestID: requestId, deadline: deadline)
            print("instance \(submitted.instance): \(submitted.value)")
        } catch {
            printError("submit: \(error)")
            if error.kind == .outcomeUnknown, let id = error.requestID {
                printError("repeat with --request-id \(id) to learn the outcome without a second copy")
            }
            throw ExitCode(error.kind != .rejected && error.noNodeAnswered ? 2 : 1)
        }
    }
}
