import Foundation
import PaxosServer
import Testing
import XMLRPC

#if canImport(Glibc)
import Glibc
#endif

@Suite("Cluster secret, request signatures, client passwords")
struct SigningTests {
    private func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("paxos-signing-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func sign(_ signing: RequestSigning, as principal: ClusterPrincipal, _ body: [UInt8]) -> (sender: String, signature: String) {
        let headers = signing.headers(as: principal)(body)
        return (headers.first { $0.name == RequestSigning.senderHeader }!.value,
                headers.first { $0.name == RequestSigning.signatureHeader }!.value)
    }

    @Test("a generated secret is 64 hex digits in a file of mode 0600, is never overwritten, and loads to the same key")
    func generateAndLoad() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/cluster.secret"
        let generated = try ClusterSecret.generate(atPath: path)
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.count == 65 && text.hasSuffix("\n") && text.dropLast().allSatisfy(\.isHexDigit))
        #expect(throws: ConfigurationError.self) { try ClusterSecret.generate(atPath: path) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == text, "the refused generate left the file alone")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["cluster.secret"], "no temporary file left")

        let body = Array("<methodCall/>".utf8)
        let loaded = try ClusterSecret.load(path: path)
        #expect(sign(RequestSigning(secret: loaded), as: .node(1), body) == sign(RequestSigning(secret: generated), as: .node(1), body))
        #expect(sign(RequestSigning(secret: ClusterSecret.random()), as: .node(1), body).signature
                != sign(RequestSigning(secret: generated), as: .node(1), body).signature)
    }

    @Test("a signature proves the exact body, the sender and the cluster: any change fails, in constant-time comparison")
    func verification() {
        let signing = RequestSigning(secret: ClusterSecret.random())
        let verifier = signing.verifier(for: [.node(1), .node(2), .operator])
        let body = Array("<methodCall><methodName>paxos.peer</methodName></methodCall>".utf8)
        let (sender, signature) = sign(signing, as: .node(2), body)
        #expect(sender == "node-2" && signature.count == 64)
        func valid(_ signature: String, _ body: [UInt8], _ principal: ClusterPrincipal) -> Bool {
            body.withUnsafeBytes { verifier.isValid(signature: signature, body: $0, principal: principal) }
        }
        #expect(valid(signature, body, .node(2)))
        #expect(!valid(signature, body, .node(1)), "another sender")
        #expect(!valid(signature, body, .operator), "the operator")
        #expect(!valid(signature, body + [0x20], .node(2)), "one byte more")
        var flipped = body
        flipped[20] ^= 1
        #expect(!valid(signature, flipped, .node(2)), "one bit flipped")
        #expect(!valid(String(signature.dropLast()), body, .node(2)), "a short signature")
        #expect(!valid(String(signature.dropLast()) + "z", body, .node(2)), "not hex")
        #expect(!valid(signature, body, .node(3)), "a principal the verifier does not know")
        let other = RequestSigning(secret: ClusterSecret.random())
        #expect(!valid(sign(other, as: .node(2), body).signature, body, .node(2)), "another cluster's secret")
    }

    @Test("principals parse from node-N and operator only")
    func principals() {
        #expect(ClusterPrincipal("node-2") == .node(2))
        #expect(ClusterPrincipal("node-4294967295") == .node(UInt32.max))
        #expect(ClusterPrincipal("operator") == .operator)
        for bad in ["node-", "node-02", "node--1", "node-4294967296", "node-1 ", "Operator", "node-+1", "", "node-٣"] {
            #expect(ClusterPrincipal(bad) == nil, "\(bad)")
        }
    }

    @Test("a client password file: user:password lines, mode 0600, comments; the right password proves the user, nothing else does")
    func clientPasswords() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/passwords"
        _ = FileManager.default.createFile(atPath: path, contents: Data("# who may submit\nalice:pa:ss\n\nbob:x\n".utf8),
                                           attributes: [.posixPermissions: 0o600])
        let entries = try ClientPasswords.entries(path: path)
        #expect(entries.map(\.user) == ["alice", "bob"] && entries.map(\.password) == ["pa:ss", "x"])
        #expect(try ClientPasswords.load(path: path).users == ["alice", "bob"])

        chmod(path, 0o640)
        #expect(throws: ConfigurationError.self) { try ClientPasswords.load(path: path) }
        for bad in ["alice\n", ":nouser\n", "alice:\n", "# only a comment\n"] {
            _ = FileManager.default.createFile(atPath: path, contents: Data(bad.utf8), attributes: [.posixPermissions: 0o600])
            #expect(throws: ConfigurationError.self, "\(bad)") { try ClientPasswords.load(path: path) }
        }
        let header = XMLRPCClientConfiguration.basicAuthorization(user: "alice", password: "pa:ss")
        #expect(header.name == "Authorization" && header.value == "Basic YWxpY2U6cGE6c3M=")
    }

    @Test("an answer is believed only if the node called signed it, for this very call, and nothing in it changed")
    func answerSignatures() {
        let signing = RequestSigning(secret: ClusterSecret.random())
        let callBody = Array("<methodCall><methodName>paxos.peer</methodName></methodCall>".utf8)
        let callHeaders = signing.headers(as: .node(2))(callBody)
        let answer = Array("<methodResponse><params><param><value><array><data/></array></value></param></params></methodResponse>".utf8)
        func signedHeaders(_ signing: RequestSigning, as node: UInt32, for call: [(name: String, value: String)],
                           caller: XMLRPCCaller = XMLRPCCaller(principal: "node-2")) -> [(name: String, value: String)] {
            signing.answerHeaders(as: .node(node))(caller, { name in call.first { $0.name == name }?.value }, answer)
        }
        func believed(_ headers: [(name: String, value: String)], from node: UInt32 = 1, call: [(name: String, value: String)] = callHeaders,
                      body: [UInt8] = answer, signing: RequestSigning = signing) -> Bool {
            body.withUnsafeBytes { bytes in
                signing.answerCheck(from: .node(node))(call, { name in headers.first { $0.name == name }?.value }, bytes)
            }
        }
        let headers = signedHeaders(signing, as: 1, for: callHeaders)
        #expect(believed(headers))
        #expect(!believed([]), "unsigned")
        #expect(!believed(headers, from: 3), "signed by another node than the one called")
        #expect(!believed(headers, body: answer + [0x20]), "one byte more")
        let otherCall = signing.headers(as: .node(2))(callBody + [0x20])
        #expect(!believed(headers, call: otherCall), "an answer to another call")
        #expect(!believed(signedHeaders(RequestSigning(secret: ClusterSecret.random()), as: 1, for: callHeaders)), "another cluster")
        let requestCode = callHeaders.first { $0.name == RequestSigning.signatureHeader }!.value
        #expect(!believed([(RequestSigning.senderHeader, "node-1"), (RequestSigning.signatureHeader, requestCode)]),
                "a request's code is no answer's")
        #expect(signedHeaders(signing, as: 1, for: callHeaders, caller: XMLRPCCaller(principal: "operator")).isEmpty,
                "answers to the operator and to clients are not signed")
    }
}
