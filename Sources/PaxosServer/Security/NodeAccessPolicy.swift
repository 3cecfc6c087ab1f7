import Logging
import XMLRPC

/// Who may call what on a node (README, Security):
/// - a member, by a call signed as `node-N` with the cluster secret: peer messages, admin, client;
/// - an operator, by a call signed as `operator`: admin and client methods;
/// - anyone else: the client methods, unless the node requires HTTP Basic authentication for
///   them, in which case a user of the client password file.
/// A call carrying a signature or credentials that do not check out is refused whole, before its
/// body is decoded; a call without any that asks for a protected method gets fault 8.
struct NodeAccessPolicy: Sendable {
    enum Grant {
        static let peer = "peer"
        static let admin = "admin"
        static let client = "client"
    }

    let verifier: RequestSigning.Verifier
    let clientPasswords: ClientPasswords?
    let refusals: RefusedCallerLog

    init(secret: ClusterSecret, members: [UInt32], clientPasswords: ClientPasswords?, logger: Logger) {
        verifier = RequestSigning(secret: secret).verifier(for: members.map(ClusterPrincipal.node) + [.operator])
        self.clientPasswords = clientPasswords
        refusals = RefusedCallerLog(logger: logger)
    }

    func authenticate(_ request: XMLRPCRequestCredentials) -> Result<XMLRPCCaller, XMLRPCFault> {
        let sender = request.header(RequestSigning.senderHeader)
        let signature = request.header(RequestSigning.signatureHeader)
        if sender != nil || signature != nil {
            guard let sender, let signature, let principal = ClusterPrincipal(sender),
                  verifier.isValid(signature: signature, body: request.body, principal: principal) else {
                return .failure(refuse(request.remoteAddress, "a signature that does not match the body and sender (\(sender ?? "no sender")); is its cluster secret another cluster's?"))
            }
            switch principal {
            case .node:
                return .success(XMLRPCCaller(principal: principal.description, grants: [Grant.peer, Grant.admin, Grant.client],
                                             remoteAddress: request.remoteAddress))
            case .operator:
                return .success(XMLRPCCaller(principal: principal.description, grants: [Grant.admin, Grant.client],
                                             remoteAddress: request.remoteAddress))
            }
        }
        guard let clientPasswords else {
            return .success(XMLRPCCaller(grants: [Grant.client], remoteAddress: request.remoteAddress))
        }
        guard let authorization = request.header("Authorization") else {
            return .success(XMLRPCCaller(remoteAddress: request.remoteAddress))
        }
        guard let user = clientPasswords.authenticatedUser(authorization: authorization) else {
            return .failure(refuse(request.remoteAddress, "a wrong user name or password"))
        }
        return .success(XMLRPCCaller(principal: "user \(user)", grants: [Grant.client], remoteAddress: request.remoteAddress))
    }

    func accessDenied(method: String, caller: XMLRPCCaller) -> XMLRPCFault {
        let what: String
        if method == "paxos.peer" {
            what = "\(method) takes only calls signed by a member with the cluster secret"
        } else if method.hasPrefix("admin.") {
            what = "\(method) needs a call signed with the cluster secret (the CLI reads it from the cluster's data directory or --secret-file)"
        } else {
            what = "\(method) needs HTTP Basic authentication on this node (http://USER:PASSWORD@HOST:PORT/RPC2)"
        }
        return refuse(caller.remoteAddress, what)
    }

    /// Fault 8, logged once a minute per address.
    func refuse(_ address: String?, _ reason: String) -> XMLRPCFault {
        refusals.note(address, reason)
        return ApplicationFault.notAuthenticated.fault("not authenticated: \(reason)")
    }
}
