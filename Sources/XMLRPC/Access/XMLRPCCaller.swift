/// Who made a call, as the server's authenticator established it from the request's HTTP
/// headers and exact body, before the body was decoded.
///
/// The library attaches no meaning to principals or grants: the application names them
/// ("peer", "admin", ...), its authenticator hands them out, and each method says which grant
/// it needs (`XMLRPCMethodRegistry.register(_:requires:...)`).
public struct XMLRPCCaller: Sendable, Hashable {
    /// Who the caller proved to be; nil for an anonymous caller.
    public var principal: String?
    /// What the caller may do.
    public var grants: Set<String>
    /// The peer's IP address, as the connection saw it (for logs; never for trust).
    public var remoteAddress: String?

    public init(principal: String? = nil, grants: Set<String> = [], remoteAddress: String? = nil) {
        self.principal = principal
        self.grants = grants
        self.remoteAddress = remoteAddress
    }

    /// Nobody in particular, allowed nothing that needs a grant.
    public static let anonymous = XMLRPCCaller()
}

/// What an authenticator sees of a request: its headers and its exact body bytes (valid only
/// for the duration of the call), and the address it came from.
public struct XMLRPCRequestCredentials {
    private let headerLookup: (String) -> String?
    /// Valid only inside the authenticator: do not keep it.
    public let body: UnsafeRawBufferPointer
    public let remoteAddress: String?

    init(headerLookup: @escaping (String) -> String?, body: UnsafeRawBufferPointer, remoteAddress: String?) {
        self.headerLookup = headerLookup
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// The first value of a header (names are case-insensitive), or nil.
    public func header(_ name: String) -> String? { headerLookup(name) }
}

/// Decides, before a request's body is decoded, who sent it; a fault refuses the whole request
/// (nothing of it is decoded or dispatched).
public typealias XMLRPCAuthenticator = @Sendable (XMLRPCRequestCredentials) -> Result<XMLRPCCaller, XMLRPCFault>
