import Crypto
import Foundation
import XMLRPC

/// How a member proves that a call comes from it: an HMAC-SHA256 of the request's exact body,
/// under a key derived (HKDF-SHA256) from the cluster secret and the sender's name. The key
/// depends on the sender, so a valid code proves both the body and who sent it: a member cannot
/// be impersonated by another principal's code, and a code made with another cluster's secret
/// proves nothing here. The body is checked byte for byte before anything decodes it.
///
/// Headers: `X-Paxos-Sender: node-2` (or `operator`), `X-Paxos-Signature: <64 hex digits>`.
public struct RequestSigning: Sendable {
    public static let senderHeader = "X-Paxos-Sender"
    public static let signatureHeader = "X-Paxos-Signature"
    /// Part of every derived key, so that keys of this protocol version serve nothing else.
    static let keyContext = "swift-paxos request signature v1 "

    private let secret: ClusterSecret

    public init(secret: ClusterSecret) { self.secret = secret }

    func key(for principal: ClusterPrincipal) -> SymmetricKey {
        derivedKey(context: Self.keyContext, principal: principal)
    }

    /// A key of `principal` for one use, named by `context` (requests, or answers: `AnswerSigning`).
    func derivedKey(context: String, principal: ClusterPrincipal) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: secret.key, info: Array((context + principal.description).utf8),
                               outputByteCount: 32)
    }

    /// The request headers `principal` sends, for an `XMLRPCClientConfiguration`.
    public func headers(as principal: ClusterPrincipal) -> @Sendable ([UInt8]) -> [(name: String, value: String)] {
        let authenticator = PreparedHMAC(key: key(for: principal))
        let sender = principal.description
        return { body in
            [(Self.senderHeader, sender), (Self.signatureHeader, authenticator.code(for: body).hexadecimal)]
        }
    }

    /// A client configuration whose every call is signed as `principal`.
    public func clientConfiguration(as principal: ClusterPrincipal,
                                    base: XMLRPCClientConfiguration = .init()) -> XMLRPCClientConfiguration {
        var configuration = base
        configuration.requestHeaders = headers(as: principal)
        return configuration
    }

    /// Keys of the principals a node accepts, derived once.
    public struct Verifier: Sendable {
        private let authenticators: [ClusterPrincipal: PreparedHMAC]

        init(signing: RequestSigning, principals: [ClusterPrincipal]) {
            authenticators = Dictionary(uniqueKeysWithValues: principals.map { ($0, PreparedHMAC(key: signing.key(for: $0))) })
        }

        /// Whether `signature` (hex) is the code of `body` for `principal`; the comparison is
        /// swift-crypto's constant-time one. Unknown principals and malformed codes are false.
        public func isValid(signature: String, body: UnsafeRawBufferPointer, principal: ClusterPrincipal) -> Bool {
            guard let authenticator = authenticators[principal], signature.utf8.count == 2 * SHA256.byteCount,
                  let code = Hexadecimal.decode(signature)
            else { return false }
            return authenticator.code(for: body) == code
        }
    }

    public func verifier(for principals: [ClusterPrincipal]) -> Verifier {
        Verifier(signing: self, principals: principals)
    }
}

/// An HMAC-SHA256 whose key is already absorbed: swift-crypto's `HMAC(key:)` pads the key and
/// hashes both pads on every call, and a node computes a code for every peer call it sends or
/// receives. A copy of the prepared state (copy-on-write inside swift-crypto) picks up from there.
/// Never mutated after `init`, so sharing it between threads is safe.
struct PreparedHMAC: @unchecked Sendable {
    private let prepared: HMAC<SHA256>

    init(key: SymmetricKey) { prepared = HMAC<SHA256>(key: key) }

    func code<Bytes: DataProtocol>(for bytes: Bytes) -> HashedAuthenticationCode<SHA256> {
        var authenticator = prepared
        authenticator.update(data: bytes)
        return authenticator.finalize()
    }

    /// The code of `first` followed by `second`, without joining them.
    func code<First: DataProtocol, Second: DataProtocol>(for first: First, then second: Second) -> HashedAuthenticationCode<SHA256> {
        var authenticator = prepared
        authenticator.update(data: first)
        authenticator.update(data: second)
        return authenticator.finalize()
    }
}

extension HashedAuthenticationCode {
    var hexadecimal: String { withUnsafeBytes(Hexadecimal.encode) }
}
