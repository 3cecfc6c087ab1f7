import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An XML-RPC server over HTTP/1.1 on SwiftNIO, dispatching to an `XMLRPCMethodRegistry`.
///
/// Each connection is kept alive between requests and answers its requests in order; method
/// handlers run as Swift tasks, off the event loop unless the configuration names an executor.
public final class XMLRPCServer: Sendable {
    public let configuration: XMLRPCServerConfiguration
    public let registry: XMLRPCMethodRegistry
    private let group: any EventLoopGroup

    private struct State {
        var listener: (any Channel)?
        var boundPort = 0
        var connections: [ObjectIdentifier: any Channel] = [:]
        var isShutDown = false
    }

    private let state = Mutex(State())

    public init(
        configuration: XMLRPCServerConfiguration = .init(),
        registry: XMLRPCMethodRegistry,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.registry = registry
        self.group = group
    }

    /// Binds and starts accepting connections.
    public func start() async throws {
        let configuration = self.configuration
        let registry = self.registry
        let listener = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: Int32(configuration.backlog))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [weak self] channel in
                self?.track(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withPipeliningAssistance: false, withErrorHandling: true)  // (the handler keeps the order)
                    try channel.pipeline.syncOperations.addHandler(
                        XMLRPCServerConnectionHandler(configuration: configuration, registry: registry))
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        let alreadyShutDown = state.withLock { state in
            state.listener = listener
            state.boundPort = listener.localAddress?.port ?? configuration.port
            return state.isShutDown
        }
        if alreadyShutDown { try? await listener.close() }
    }

    /// The port bound by `start()` (the chosen one when the configuration asked for 0).
    public var localPort: Int { state.withLock { $0.boundPort } }

    /// Connections currently open (for tests and metrics).
    public var connectionCount: Int { state.withLock { $0.connections.count } }

    /// Stops listening and closes every connection, including those with a call in progress.
    public func shutdown() async throws {
        let (listener, connections) = state.withLock { state in
            state.isShutDown = true
            let taken = (state.listener, Array(state.connections.values))
            state.listener = nil
            state.connections = [:]
            return taken
        }
        try? await listener?.close()
        for connection in connections {
            try? await connection.close()
        }
    }

    private func track(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        let isShutDown = state.withLock { state in
            if !state.isShutDown { state.connections[key] = channel }
            return state.isShutDown
        }
        if isShutDown {
            channel.close(promise: nil)
            return
        }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.state.withLock { $0.connections.removeValue(forKey: key) }
        }
    }
}
