import Foundation
import XMLRPC

struct TestError: Error, CustomStringConvertible {
    var description: String
}

/// A test server's configuration: the defaults, except that idle connections stay open for
/// ten minutes. Inside the whole parallel `swift test` on 2 cores, a test can wait more than the
/// default 60 s for a thread between two requests of one connection; the server then closed it
/// and the test read the end of the stream where it expected an answer. Tests of the idle
/// timeout set their own.
func testServerConfiguration() -> XMLRPCServerConfiguration {
    var configuration = XMLRPCServerConfiguration()
    configuration.idleTimeout = .seconds(600)
    return configuration
}

/// A server with the methods the tests call, on an ephemeral port, shut down afterwards.
func withTestServer<Result>(
    _ configuration: XMLRPCServerConfiguration = testServerConfiguration(),
    _ body: (XMLRPCServer, Int) async throws -> Result
) async throws -> Result {
    let registry = XMLRPCMethodRegistry()
    registry.register("echo", help: "Returns its one parameter.", signature: [["any", "any"]]) { parameters in
        try parameters.expectCount(1)
        return try parameters.value(0)
    }
    registry.register("add", help: "Adds two ints.", signature: [["int", "int", "int"]]) { parameters in
        try parameters.expectCount(2)
        return .int(try parameters.int(0) + parameters.int(1))
    }
    registry.register("fail") { parameters in
        throw XMLRPCFault(code: try parameters.int(0), message: try parameters.string(1))
    }
    registry.register("crash") { _ in throw TestError(description: "handler broke") }
    registry.register("whoami", help: "The caller's principal; needs the grant 'trusted'.", requires: "trusted") { parameters in
        .string(parameters.caller.principal ?? "")
    }
    registry.register("sleep") { parameters in
        try await Task.sleep(for: .milliseconds(try parameters.int(0)))
        return .int(try parameters.int(0))
    }
    let server = XMLRPCServer(configuration: configuration, registry: registry)
    try await server.start()
    do {
        let result = try await body(server, server.localPort)
        try await server.shutdown()
        return result
    } catch {
        try? await server.shutdown()
        throw error
    }
}

/// Polls `condition` until it holds or the deadline passes; tests wait on conditions, never
/// on fixed sleeps.
func waitUntil(
    timeout: Duration = .seconds(30), _ condition: @Sendable () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}

func faultCode(of response: RawHTTPConnection.Response) throws -> Int? {
    switch try XMLRPCCodec.decodeResponse(response.body) {
    case .fault(let fault): fault.code
    case .success: nil
    }
}

let echoCallBody = XMLRPCCodec.encodeCall(XMLRPCMethodCall(methodName: "echo", parameters: ["still here"]))
