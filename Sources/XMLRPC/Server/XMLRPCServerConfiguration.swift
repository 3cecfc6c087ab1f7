public typealias XMLRPCResponseHeaders = @Sendable (
    _ caller: XMLRPCCaller, _ requestHeader: (String) -> String?, _ body: [UInt8]
) -> [(name: String, value: String)]

/// How an `XMLRPCServer` listens and what it tolerates from a connection.
public struct XMLRPCServerConfiguration: Sendable {
    public static let bodyBytesMaxDefault = 1 << 20
    public static let idleTimeoutDefault = Duration.seconds(60)
    public static let readTimeoutDefault = Duration.seconds(10)
    public static let backlogDefault = 256

    public var host: String
    /// 0 picks a free port; `XMLRPCServer.localPort` tells which.
    public var port: Int
    /// Larger request bodies are answered 413 and the connection closed, without reading them.
    public var bodyBytesMax: Int
    /// A connection with no request in progress is closed after this long.
    public var idleTimeout: Duration
    /// A request whose body has not fully arrived this long after its head is answered 408
    /// and the connection closed (a slow sender must not hold a connection forever).
    public var readTimeout: Duration
    /// Request paths served; any other path is answered 404.
    public var paths: Set<String>
    public var decodingLimits: XMLRPCDecodingLimits
    public var backlog: Int
    /// Documents served to `GET` beside the XML-RPC endpoint (a node's `/metrics`), by path.
    public var resources: [String: XMLRPCResource] = [:]
    /// Runs on every request before its body is decoded and decides who the caller is (or
    /// refuses the request with a fault). Without one, every caller is anonymous.
    public var authenticator: XMLRPCAuthenticator?
    /// Extra headers for the answer to an authenticated call, computed from the caller, the
    /// request's headers and the answer's exact body: a signature that the caller's
    /// `XMLRPCClientConfiguration.responseCheck` verifies before it decodes the answer.
    public var responseHeaders: XMLRPCResponseHeaders?
    /// Where method handlers run: nil, on Swift's global executor, off the event loop; an
    /// `EventLoopTaskExecutor` of the server's one loop, on it (a node whose actor lives on
    /// that loop then answers a call without a thread hop; a handler must not block).
    public var handlerExecutor: (any TaskExecutor)?
    /// Methods that run on Swift's global executor even with a `handlerExecutor`: those whose
    /// handler or answer takes long (thousands of lines to read and encode), which would hold
    /// up every other connection of the loop meanwhile.
    public var methodsOffEventLoop: Set<String> = []

    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        bodyBytesMax: Int = Self.bodyBytesMaxDefault,
        idleTimeout: Duration = Self.idleTimeoutDefault,
        readTimeout: Duration = Self.readTimeoutDefault,
        paths: Set<String> = ["/RPC2", "/"],
        decodingLimits: XMLRPCDecodingLimits = .default,
        backlog: Int = Self.backlogDefault,
        authenticator: XMLRPCAuthenticator? = nil
    ) {
        self.host = host
        self.port = port
        self.bodyBytesMax = bodyBytesMax
        self.idleTimeout = idleTimeout
        self.readTimeout = readTimeout
        self.paths = paths
        self.decodingLimits = decodingLimits
        self.backlog = backlog
        self.authenticator = authenticator
    }
}

/// A document the server answers `GET path` with, rendered anew for every request.
public struct XMLRPCResource: Sendable {
    public var contentType: String
    public var render: @Sendable () -> [UInt8]

    public init(contentType: String, render: @escaping @Sendable () -> [UInt8]) {
        self.contentType = contentType
        self.render = render
    }
}
