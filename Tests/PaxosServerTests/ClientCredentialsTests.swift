import Foundation
import PaxosClient
import Testing

/// The failover clients sign in with HTTP Basic where nodes require it, and a refusal (fault 8)
/// is final: no other node would answer otherwise.
@Suite("Client credentials", .serialized)
struct ClientCredentialsTests {
    @Test("PaxosClient, paxos_client.py and paxos submit log in with a user and password; without one, fault 8 after a single attempt")
    func credentialsAreSentAndRefusalsAreFinal() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("paxos-client-passwords-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let passwords = root + "/clients.passwords"
        #expect(FileManager.default.createFile(atPath: passwords, contents: Data("carol:pa55\n".utf8),
                                               attributes: [.posixPermissions: 0o600]))
        let test = try TestCluster(nodeArguments: ["--client-password-file", passwords])
        defer { test.tearDown() }
        try await test.start()
        let nodes = test.configuration.nodes.map { PaxosNodeAddress(host: $0.host, port: $0.port) }

        var configuration = PaxosClientConfiguration()
        configuration.credentials = (user: "carol", password: "pa55")
        let signedIn = PaxosClient(nodes: nodes, configuration: configuration)
        defer { Task { await signedIn.shutdown() } }
        let done = try await signedIn.submit("with-password", deadline: .now + .seconds(30))
        #expect(done.instance == 1)

        let anonymous = PaxosClient(nodes: nodes)
        defer { Task { await anonymous.shutdown() } }
        do {
            _ = try await anonymous.submit("without-password", deadline: .now + .seconds(10))
            Issue.record("a submit without a password was taken")
        } catch {
            #expect(error.kind == .rejected && error.lastFault?.code == 8 && error.attempts == 1, "\(error)")
        }

        let python = try await ChildProcess.python("paxos_client.py", [
            "--nodes", test.addresses.joined(separator: ","), "--user", "carol", "--password", "pa55", "submit", "python-password",
        ]).exit(within: 60)
        #expect(python.status == 0 && python.output.contains("instance 2: python-password"), "\(python.output)")
        let pythonAnonymous = try await ChildProcess.python("paxos_client.py", [
            "--nodes", test.addresses.joined(separator: ","), "submit", "python-anonymous",
        ]).exit(within: 60)
        #expect(pythonAnonymous.status == 1 && pythonAnonymous.output.contains("fault 8"), "\(pythonAnonymous.output)")

        let cli = try await ChildProcess.paxos(["submit", "cli-password", "--config", test.cluster.configurationPath,
                                                "--client-password-file", passwords]).exit(within: 60)
        #expect(cli.status == 0 && cli.output.contains("instance 3: cli-password"), "\(cli.output)")
        try await eventually("every file holds the three signed-in values and nothing else") {
            [1, 2, 3].allSatisfy { test.fileContents($0) == "1 with-password\n2 python-password\n3 cli-password\n" }
        }
    }
}
