import NIOCore
import NIOPosix
import Testing
@testable import XMLRPC

/// A server whose handlers prefer its event loop (`XMLRPCServerConfiguration.handlerExecutor`)
/// runs them on that loop's thread, and an actor living on the same loop is reached there: the
/// arrangement a node uses so that a call, its step and its answer share one thread.
@Suite struct LoopExecutorTests {
    /// An actor whose executor is a given event loop (as `NodeRuntime` is).
    actor LoopActor {
        nonisolated let loop: any EventLoop
        nonisolated var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }
        var calls = 0
        init(loop: any EventLoop) { self.loop = loop }
        func call() -> Bool {
            calls += 1
            return loop.inEventLoop
        }
    }

    func withLoopServer(onLoop: Bool, offLoop: Set<String> = [], _ body: (XMLRPCClient) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let actor = LoopActor(loop: loop)
        let registry = XMLRPCMethodRegistry()
        let whereItRuns: XMLRPCMethodRegistry.Handler = { _ in
            let handlerOnLoop = loop.inEventLoop
            let actorOnLoop = await actor.call()
            return .array([.bool(handlerOnLoop), .bool(actorOnLoop), .bool(loop.inEventLoop)])
        }
        registry.register("where", whereItRuns)
        registry.register("whereHeavy", whereItRuns)
        var configuration = testServerConfiguration()
        if onLoop { configuration.handlerExecutor = EventLoopTaskExecutor(loop) }
        configuration.methodsOffEventLoop = offLoop
        let server = XMLRPCServer(configuration: configuration, registry: registry, group: group)
        try await server.start()
        let client = XMLRPCClient(host: "127.0.0.1", port: server.localPort)
        do {
            try await body(client)
        } catch {
            await client.shutdown()
            try? await server.shutdown()
            try? await group.shutdownGracefully()
            throw error
        }
        await client.shutdown()
        try await server.shutdown()
        try await group.shutdownGracefully()
    }

    @Test func handlersPreferringTheLoopRunThereAndReachItsActorThere() async throws {
        try await withLoopServer(onLoop: true) { client in
            for _ in 0..<3 {
                let answer = try await client.call("where")
                #expect(answer == .array([.bool(true), .bool(true), .bool(true)]))
            }
        }
    }

    @Test func methodsNamedOffTheLoopRunOffItEvenWithAnExecutor() async throws {
        try await withLoopServer(onLoop: true, offLoop: ["whereHeavy"]) { client in
            let heavy = try await client.call("whereHeavy")
            #expect(heavy == .array([.bool(false), .bool(true), .bool(false)]))
            let light = try await client.call("where")
            #expect(light == .array([.bool(true), .bool(true), .bool(true)]))
        }
    }

    @Test func withoutAnExecutorHandlersRunOffTheLoop() async throws {
        try await withLoopServer(onLoop: false) { client in
            let answer = try await client.call("where")
            // The actor still runs on its loop; the handler itself does not.
            #expect(answer == .array([.bool(false), .bool(true), .bool(false)]))
        }
    }

    @Test func aTaskPreferringTheExecutorRunsOnItsLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let onLoop = await Task(executorPreference: EventLoopTaskExecutor(loop)) { loop.inEventLoop }.value
        #expect(onLoop)
        try await group.shutdownGracefully()
    }
}
