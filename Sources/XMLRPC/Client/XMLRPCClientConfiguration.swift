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

    public init(
        connectionsPerEndpointMax: Int = Self.connectionsPerEndpointMaxDefault,
        connectTimeout: Duration = Self.connectTimeoutDefault,
        defaultCallTimeout: Duration = Self.defaultCallTimeoutDefault,
        bodyBytesMax: Int = Self.bodyBytesMaxDefault,
        decodingLimits: XMLRPCDecodingLimits = .default
    ) {
        precondition(connectionsPerEndpointMax > 0, "a client needs at least one connection")
        self.connectionsPerEndpointMax = connectionsPerEndpointMax
        self.connectTimeout = connectTimeout
        self.defaultCallTimeout = defaultCallTimeout
        self.bodyBytesMax = bodyBytesMax
        self.decodingLimits = decodingLimits
    }
}
