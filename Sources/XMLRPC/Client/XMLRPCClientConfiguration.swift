public typealias XMLRPCResponseCheck = @Sendable (
    _ requestHeaders: [(name: String, value: String)], _ responseHeader: (String) -> String?, _ body: UnsafeRawBufferPointer
) -> Bool

/// How an `XMLRPCClient` connects and how long it waits.
public struct XMLRPCClientConfiguration: Sendable {
    public static let connectionsPerEndpointMaxDefault = 8
    public static let connectTimeoutDefault = Duration.seconds(5)
    public static let defaultCallTimeoutDefault = Duration.seconds(30)
    public static let bodyBytesMaxDefault = 16 << 20

    /// Connections kept open (in use or idle) to the endpoint; further calls wait for one.
    public var connectionsPerEndpointMax: Int
    public var connectTimeout: Duration
    /// Applies to calls made without their own timeout; covers waiting for a connection,
    /// connecting, sending and receiving.
    public var defaultCallTimeout: Duration
    /// Larger response bodies fail the call with `XMLRPCTransportError.responseTooLarge`.
    public var bodyBytesMax: Int
    public var decodingLimits: XMLRPCDecodingLimits
    /// Extra HTTP headers for each request, computed from its exact body (a signature, or
    /// credentials that do not depend on it).
    public var requestHeaders: (@Sendable (_ body: [UInt8]) -> [(name: String, value: String)])?
    /// Decides, before its body is decoded, whether a response may be believed, from the
    /// request's extra headers (`requestHeaders`), the response's headers and its exact body
    /// (a signature of the server, bound to the request). A refused response fails the call
    /// with `XMLRPCTransportError.responseRefused` and is never decoded, fault or not.
    public var responseCheck: XMLRPCResponseCheck?

    public init(
        connectionsPerEndpointMax: Int = Self.connectionsPerEndpointMaxDefault,
        connectTimeout: Duration = Self.connectTimeoutDefault,
        defaultCallTimeout: Duration = Self.defaultCallTimeoutDefault,
        bodyBytesMax: Int = Self.bodyBytesMaxDefault,
        decodingLimits: XMLRPCDecodingLimits = .default,
        requestHeaders: (@Sendable (_ body: [UInt8]) -> [(name: String, value: String)])? = nil
    ) {
        precondition(connectionsPerEndpointMax > 0, "a client needs at least one connection")
        self.connectionsPerEndpointMax = connectionsPerEndpointMax
        self.connectTimeout = connectTimeout
        self.defaultCallTimeout = defaultCallTimeout
        self.bodyBytesMax = bodyBytesMax
        self.decodingLimits = decodingLimits
        self.requestHeaders = requestHeaders
    }

    /// HTTP Basic authentication (RFC 7617), what Python's `ServerProxy("http://user:pass@host/")` sends.
    public static func basicAuthorization(user: String, password: String) -> (name: String, value: String) {
        var encoded: [UInt8] = []
        Base64.append(Array("\(user):\(password)".utf8), to: &encoded)
        return ("Authorization", "Basic " + String(decoding: encoded, as: UTF8.self))
    }
}
