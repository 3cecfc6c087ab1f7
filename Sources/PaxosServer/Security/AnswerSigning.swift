import Crypto
import XMLRPC

/// How a member proves that the answer to a peer's call is its own, and for that very call: an
/// HMAC-SHA256, under a key derived (HKDF-SHA256) from the cluster secret and the answering
/// node's name, of the call's signature, a newline, and the answer's exact body.
///
/// A `paxos.peer` answer carries protocol messages (the acceptor's Accepteds, most of the
/// time), so it must be as trustworthy as a call: an answer that anyone on the way could write
/// could claim a majority accepted a value it never did. The key's context differs from the
/// requests' (`RequestSigning.keyContext`), so a call's code never passes for an answer's; the
/// call's signature in the input ties the answer to one call, so an old answer cannot be
/// passed off as the answer to a later one. The caller checks the code before it decodes a
/// byte of the answer (`XMLRPCClientConfiguration.responseCheck`).
///
/// Headers, as on requests: `X-Paxos-Sender: node-2`, `X-Paxos-Signature: <64 hex digits>`.
extension RequestSigning {
    static let answerKeyContext = "swift-paxos answer signature v1 "

    func answerAuthenticator(for principal: ClusterPrincipal) -> PreparedHMAC {
        PreparedHMAC(key: derivedKey(context: Self.answerKeyContext, principal: principal))
    }

    /// The server side: signs, as `principal`, every answer to a call that a member node signed:
    /// `paxos.peer` answers carry protocol messages, `paxos.snapshot` answers a snapshot's
    /// chunks. Answers to clients and operators are not signed (nothing they carry needs it).
    public func answerHeaders(as principal: ClusterPrincipal) -> XMLRPCResponseHeaders {
        let authenticator = answerAuthenticator(for: principal)
        let sender = principal.description
        return { caller, requestHeader, body in
            guard let name = caller.principal, case .node = ClusterPrincipal(name),
                  let callSignature = requestHeader(Self.signatureHeader) else { return [] }
            let code = authenticator.code(for: Array(callSignature.utf8) + [0x0A], then: body)
            return [(Self.senderHeader, sender), (Self.signatureHeader, code.hexadecimal)]
        }
    }

    /// The client side: an answer is believed only if `principal` signed it for this call.
    public func answerCheck(from principal: ClusterPrincipal) -> XMLRPCResponseCheck {
        let authenticator = answerAuthenticator(for: principal)
        let sender = principal.description
        return { requestHeaders, responseHeader, body in
            guard responseHeader(Self.senderHeader) == sender, let signature = responseHeader(Self.signatureHeader),
                  signature.utf8.count == 2 * SHA256.byteCount, let code = Hexadecimal.decode(signature),
                  let callSignature = requestHeaders.first(where: { $0.name == Self.signatureHeader })?.value
            else { return false }
            // swift-crypto's comparison of a code with bytes is constant-time.
            return authenticator.code(for: Array(callSignature.utf8) + [0x0A], then: body) == code
        }
    }
}
