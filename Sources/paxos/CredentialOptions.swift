import ArgumentParser
import Foundation
import PaxosServer
import XMLRPC

/// Where an operator's command finds the cluster secret for admin calls: `--secret-file`, or
/// the cluster.json in `--data-dir` (so the lab needs no extra step after `paxos cluster`).
struct OperatorSecretOptions: ParsableArguments {
    @Option(help: "The cluster secret file (default: the one <data-dir>/cluster.json names).")
    var secretFile: String?

    @Option(help: "The data directory `paxos cluster` was started with (its cluster.json names the secret).")
    var dataDir = "./paxos-data"

    func secret() throws -> ClusterSecret {
        try ClusterSecret.locate(explicitPath: secretFile, dataDirectory: dataDir)
    }

    func signing() throws -> RequestSigning { RequestSigning(secret: try secret()) }
}

/// HTTP Basic credentials for the client methods of a node that requires them.
struct ClientCredentialOptions: ParsableArguments {
    @Option(help: "A file of `user:password` lines (mode 0600); its first user signs in to nodes started with --client-password-file.")
    var clientPasswordFile: String?

    func headers() throws -> (@Sendable ([UInt8]) -> [(name: String, value: String)])? {
        guard let clientPasswordFile else { return nil }
        guard let first = try ClientPasswords.entries(path: clientPasswordFile).first else { return nil }
        let header = XMLRPCClientConfiguration.basicAuthorization(user: first.user, password: first.password)
        return { _ in [header] }
    }
}
