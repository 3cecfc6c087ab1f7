import Testing
@testable import XMLRPC

/// The library's access hooks: an authenticator sees the exact body and headers before anything
/// is decoded, methods name the grant they need, and a multicall cannot carry a call past it.
@Suite struct AccessTests {
    /// Trusts a request whose `X-Token` header is the body's length, names the caller after it,
    /// and refuses one whose token is wrong.
    static let authenticator: XMLRPCAuthenticator = { request in
        guard let token = request.header("x-token") else { return .success(XMLRPCCaller(remoteAddress: request.remoteAddress)) }
        guard token == String(request.body.count) else { return .failure(XMLRPCFault(code: 99, message: "bad token")) }
        return .success(XMLRPCCaller(principal: "holder of \(token)", grants: ["trusted"], remoteAddress: request.remoteAddress))
    }

    static func tokenHeaders(wrong: Bool = false) -> @Sendable ([UInt8]) -> [(name: String, value: String)] {
        { body in [("X-Token", String(body.count + (wrong ? 1 : 0)))] }
    }

    @Test func grantsDecideWhoIsServed() async throws {
        var configuration = testServerConfiguration()
        configuration.authenticator = Self.authenticator
        try await withTestServer(configuration) { _, port async throws in
            let anonymous = XMLRPCClient(host: "127.0.0.1", port: port)
            let trusted = XMLRPCClient(host: "127.0.0.1", port: port,
                                       configuration: XMLRPCClientConfiguration(requestHeaders: Self.tokenHeaders()))
            let forger = XMLRPCClient(host: "127.0.0.1", port: port,
                                      configuration: XMLRPCClientConfiguration(requestHeaders: Self.tokenHeaders(wrong: true)))
            defer { Task { await anonymous.shutdown(); await trusted.shutdown(); await forger.shutdown() } }

            #expect(try await anonymous.call("add", [1, 2]) == 3, "methods without a grant stay open")
            await #expect(throws: XMLRPCFault.self) { try await anonymous.call("whoami") }
            let answer = try await trusted.call("whoami")
            #expect(answer.stringValue?.hasPrefix("holder of ") == true)
            // A refused request is refused whole, even for an open method.
            await #expect(throws: XMLRPCFault(code: 99, message: "bad token")) { try await forger.call("add", [1, 2]) }
            // Inside a multicall each call is checked as the caller that made the multicall.
            let results = try await anonymous.call("system.multicall", [[["methodName": "whoami", "params": []],
                                                                         ["methodName": "add", "params": [2, 2]]]])
            #expect(results.arrayValue?.first?.structValue?["faultCode"]?.intValue == XMLRPCFault.applicationError)
            #expect(results.arrayValue?.last == [4])
            let trustedResults = try await trusted.call("system.multicall", [[["methodName": "whoami", "params": []]]])
            #expect(trustedResults.arrayValue?.first?.arrayValue?.first?.stringValue?.hasPrefix("holder of ") == true)
        }
    }

    /// The server adds a header computed from the caller, the request's headers and the exact
    /// answer; the client believes an answer only if its check passes, before decoding it.
    @Test func answersAreCheckedBeforeTheyAreBelieved() async throws {
        var configuration = testServerConfiguration()
        configuration.authenticator = Self.authenticator
        // "Signs" an answer to a trusted caller with the request's token and the answer's length.
        configuration.responseHeaders = { caller, requestHeader, body in
            guard caller.grants.contains("trusted"), let token = requestHeader("x-token") else { return [] }
            return [("X-Answer", "\(token)/\(body.count)")]
        }
        try await withTestServer(configuration) { _, port async throws in
            let check: XMLRPCResponseCheck = { request, responseHeader, body in
                responseHeader("x-answer") == "\(request.first { $0.name == "X-Token" }?.value ?? "")/\(body.count)"
            }
            let checking = XMLRPCClient(host: "127.0.0.1", port: port, configuration: {
                var client = XMLRPCClientConfiguration(requestHeaders: Self.tokenHeaders())
                client.responseCheck = check
                return client
            }())
            let checkingAnonymously = XMLRPCClient(host: "127.0.0.1", port: port, configuration: {
                var client = XMLRPCClientConfiguration()
                client.responseCheck = check
                return client
            }())
            defer { Task { await checking.shutdown(); await checkingAnonymously.shutdown() } }
            #expect(try await checking.call("add", [1, 2]) == 3, "a signed answer is believed")
            await #expect(throws: XMLRPCTransportError.responseRefused, "an unsigned answer is not") {
                try await checkingAnonymously.call("add", [1, 2])
            }
            // A fault it cannot check is not decoded either: the call fails as refused.
            await #expect(throws: XMLRPCTransportError.responseRefused) { try await checkingAnonymously.call("whoami") }
            await #expect(throws: XMLRPCFault.self, "a fault the check passes is told as is") {
                try await checking.call("noSuchMethod")
            }
        }
    }

    @Test func withoutAnAuthenticatorEveryCallerIsAnonymous() async throws {
        try await withTestServer { _, port async throws in
            let client = XMLRPCClient(host: "127.0.0.1", port: port,
                                      configuration: XMLRPCClientConfiguration(requestHeaders: Self.tokenHeaders()))
            defer { Task { await client.shutdown() } }
            do {
                _ = try await client.call("whoami")
                Issue.record("a grant was given without an authenticator")
            } catch let fault as XMLRPCFault {
                #expect(fault.code == XMLRPCFault.applicationError)
            }
        }
    }

    @Test func basicAuthorizationIsRFC7617() {
        let header = XMLRPCClientConfiguration.basicAuthorization(user: "Aladdin", password: "open sesame")
        #expect(header.name == "Authorization" && header.value == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
    }
}
