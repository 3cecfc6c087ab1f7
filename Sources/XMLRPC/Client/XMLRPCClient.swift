import NIOCore
import NIOHTTP1
import NIOPosix

/// An XML-RPC client for one endpoint, with a pool of kept-alive connections.
///
/// `call` throws `XMLRPCFault` when the server answers with a fault and
/// `XMLRPCTransportError` when there is no answer to interpret.
public final class XMLRPCClient: Sendable {
    public let host: String
    public let port: Int
    public let path: String
    public let configuration: XMLRPCClientConfiguration
    private let group: any EventLoopGroup
    private let pool: XMLRPCConnectionPool
    private let hostHeader: String

    public init(
        host: String, port: Int, path: String = "/RPC2",
        configuration: XMLRPCClientConfiguration = .init(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.host = host
        self.port = port
        self.path = path
        self.configuration = configuration
        self.group = group
        self.pool = XMLRPCConnectionPool(connectionsMax: configuration.connectionsPerEndpointMax, timerLoop: group.next())
        self.hostHeader = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    public func call(_ method: String, _ parameters: [XMLRPCValue] = [], timeout: Duration? = nil) async throws -> XMLRPCValue {
        let document = XMLRPCCodec.encodeCall(XMLRPCMethodCall(methodName: method, parameters: parameters))
        let deadline = NIODeadline.now() + TimeAmount(timeout ?? configuration.defaultCallTimeout)
        let extraHeaders = configuration.requestHeaders?(document) ?? []
        let response = try await exchange(document, extraHeaders: extraHeaders, deadline: deadline)
        guard response.status == .ok else { throw XMLRPCTransportError.httpStatus(Int(response.status.code)) }
        // An answer nobody vouches for is not parsed, as a server parses no request it cannot
        // authenticate: it fails the call whatever it holds (a fault in it could only have made
        // the call fail too).
        if let check = configuration.responseCheck,
           !response.body.withUnsafeReadableBytes({ check(extraHeaders, { response.headers.first(name: $0) }, $0) }) {
            throw XMLRPCTransportError.responseRefused
        }
        let decoded: XMLRPCMethodResponse
        do {
            decoded = try response.body.withUnsafeReadableBytes { buffer throws(XMLRPCFault) in
                try XMLRPCCodec.decodeResponse(buffer, limits: configuration.decodingLimits)
            }
        } catch {
            throw XMLRPCTransportError.malformedResponse(error)
        }
        return try decoded.get()
    }

    var poolIsExhausted: Bool { pool.isExhausted }

    /// Closes every connection; calls in progress fail with a transport error.
    public func shutdown() async {
        await pool.shutdown()
    }

    /// Sends the document and returns the HTTP response, retrying once on a new connection
    /// when a reused one turns out to have been closed by the server before answering (the
    /// usual fate of an idle kept-alive connection; the request cannot have been handled).
    private func exchange(_ document: [UInt8], extraHeaders: [(name: String, value: String)],
                          deadline: NIODeadline) async throws -> XMLRPCClientResponse {
        var retriesLeft = 2
        while true {
            var connection = try await connection(deadline: deadline)
            do {
                let response = try await send(document, extraHeaders: extraHeaders, on: connection.channel, deadline: deadline)
                connection.completedRequests += 1
                pool.release(connection, reusable: response.isKeepAlive)
                return response
            } catch let closed as ClosedBeforeResponse {
                pool.release(connection, reusable: false)
                // A reused connection the server closed while idle, or any connection that was
                // closed before a byte of the request left: the request cannot have been handled.
                guard closed.neverSent || connection.completedRequests > 0, retriesLeft > 0 else {
                    throw XMLRPCTransportError.connectionClosed(closed.reason)
                }
                retriesLeft -= 1
            } catch {
                pool.release(connection, reusable: false)
                throw error
            }
        }
    }

    private func connection(deadline: NIODeadline) async throws -> XMLRPCConnectionPool.Connection {
        switch try await pool.acquire(deadline: deadline) {
        case .reuse(let connection):
            return connection
        case .open:
            do {
                let channel = try await connect(deadline: deadline)
                guard pool.opened(channel) else {
                    try? await channel.close()
                    throw XMLRPCTransportError.shutDown
                }
                return XMLRPCConnectionPool.Connection(channel: channel, completedRequests: 0)
            } catch {
                pool.openFailed()
                throw error
            }
        }
    }

    private func connect(deadline: NIODeadline) async throws -> any Channel {
        let remaining = deadline - .now()
        guard remaining > .zero else { throw XMLRPCTransportError.timedOut }
        let bodyBytesMax = configuration.bodyBytesMax
        do {
            return try await ClientBootstrap(group: group)
                .connectTimeout(min(TimeAmount(configuration.connectTimeout), remaining))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(
                            XMLRPCClientConnectionHandler(bodyBytesMax: bodyBytesMax))
                    }
                }
                .connect(host: host, port: port)
                .get()
        } catch {
            throw XMLRPCTransportError.connectFailed(String(describing: error))
        }
    }

    private func send(_ document: [UInt8], extraHeaders: [(name: String, value: String)], on channel: any Channel,
                      deadline: NIODeadline) async throws -> XMLRPCClientResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: hostHeader)
        headers.add(name: "Content-Type", value: "text/xml")
        headers.add(name: "Content-Length", value: String(document.count))
        headers.add(name: "User-Agent", value: "swift-xmlrpc")
        for header in extraHeaders { headers.add(name: header.name, value: header.value) }
        var body = channel.allocator.buffer(capacity: document.count)
        body.writeBytes(document)
        let promise = channel.eventLoop.makePromise(of: XMLRPCClientResponse.self)
        let request = XMLRPCClientRequest(
            head: HTTPRequestHead(version: .http1_1, method: .POST, uri: path, headers: headers),
            body: body, deadline: deadline, responsePromise: promise)
        // A write that never reaches our handler (the channel closed meanwhile) must still
        // settle the response; a second completion of the promise is ignored.
        channel.writeAndFlush(request).whenFailure { error in
            promise.fail(ClosedBeforeResponse(reason: String(describing: error), neverSent: true))
        }
        return try await promise.futureResult.get()
    }
}
