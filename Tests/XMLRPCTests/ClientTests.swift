import Testing
@testable import XMLRPC

@Suite struct ClientTests {
    @Test func callReturnsTheResult() async throws {
        try await withTestServer { _, port async throws in
            let client = XMLRPCClient(host: "127.0.0.1", port: port)
            defer { Task { await client.shutdown() } }
            #expect(try await client.call("add", [2, 3]) == 5)
            #expect(try await client.call("echo", [CodecRoundTripTests.everyType]) == CodecRoundTripTests.everyType)
        }
    }

    @Test func faultIsThrownAsXMLRPCFault() async throws {
        try await withTestServer { _, port async throws in
            let client = XMLRPCClient(host: "127.0.0.1", port: port)
            defer { Task { await client.shutdown() } }
            await #expect(throws: XMLRPCFault(code: 7, message: "seven")) { try await client.call("fail", [7, "seven"]) }
            do {
                _ = try await client.call("missing", [])
                Issue.record("no fault")
            } catch let fault as XMLRPCFault {
                #expect(fault.code == XMLRPCFault.methodNotFound)
            }
            // The connection that carried the faults is still good.
            #expect(try await client.call("add", [1, 1]) == 2)
        }
    }

    @Test func manyConcurrentCallersShareABoundedPool() async throws {
        try await withTestServer { _, port async throws in
            let client = XMLRPCClient(host: "127.0.0.1", port: port,
                                      configuration: XMLRPCClientConfiguration(connectionsPerEndpointMax: 3))
            defer { Task { await client.shutdown() } }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<60 {
                    group.addTask { () async throws in #expect(try await client.call("echo", [.int(index)]) == .int(index)) }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test func refusedConnectionIsATransportError() async throws {
        // A port that was just bound and released is, for a moment, certainly closed.
        let port = try await withTestServer { _, port in port }
        let client = XMLRPCClient(host: "127.0.0.1", port: port)
        defer { Task { await client.shutdown() } }
        do {
            _ = try await client.call("echo", [1])
            Issue.record("call succeeded")
        } catch let error as XMLRPCTransportError {
            guard case .connectFailed = error else { Issue.record("unexpected \(error)"); return }
        }
    }

    @Test func callTimesOutAndTheClientRecovers() async throws {
        try await withTestServer { _, port async throws in
            let client = XMLRPCClient(host: "127.0.0.1", port: port,
                                      configuration: XMLRPCClientConfiguration(connectionsPerEndpointMax: 1))
            defer { Task { await client.shutdown() } }
            // Connected first, so that the 100 ms below time the call, not a connect on a busy machine.
            // The calls around it only have to succeed: their deadlines are far beyond what a
            // thread-starved moment of the whole parallel suite can take (5 s once proved short).
            #expect(try await client.call("add", [1, 1], timeout: .seconds(120)) == 2)
            await #expect(throws: XMLRPCTransportError.timedOut) {
                try await client.call("sleep", [2000], timeout: .milliseconds(100))
            }
            #expect(try await client.call("add", [2, 2], timeout: .seconds(120)) == 4)
        }
    }

    @Test func waitingForAConnectionCountsAgainstTheTimeout() async throws {
        try await withTestServer { _, port async throws in
            let client = XMLRPCClient(host: "127.0.0.1", port: port,
                                      configuration: XMLRPCClientConfiguration(connectionsPerEndpointMax: 1))
            defer { Task { await client.shutdown() } }
            async let slow = client.call("sleep", [800])
            #expect(try await waitUntil { client.poolIsExhausted })
            await #expect(throws: XMLRPCTransportError.timedOut) {
                try await client.call("add", [1, 2], timeout: .milliseconds(100))
            }
            #expect(try await slow == 800)
        }
    }

    @Test func connectionClosedByServerWhileIdleIsReplaced() async throws {
        var configuration = XMLRPCServerConfiguration()
        configuration.idleTimeout = .seconds(1)
        try await withTestServer(configuration) { server, port async throws in
            let client = XMLRPCClient(host: "127.0.0.1", port: port)
            defer { Task { await client.shutdown() } }
            #expect(try await client.call("add", [1, 2]) == 3)
            #expect(try await waitUntil { server.connectionCount == 0 })
            #expect(try await client.call("add", [3, 4]) == 7)
        }
    }

    @Test func wrongPathIsAnHTTPStatusError() async throws {
        try await withTestServer { _, port async throws in
            let client = XMLRPCClient(host: "127.0.0.1", port: port, path: "/elsewhere")
            defer { Task { await client.shutdown() } }
            await #expect(throws: XMLRPCTransportError.httpStatus(404)) { try await client.call("echo", [1]) }
        }
    }

    @Test func oversizedResponseIsATransportError() async throws {
        try await withTestServer { _, port async throws in
            let client = XMLRPCClient(host: "127.0.0.1", port: port,
                                      configuration: XMLRPCClientConfiguration(bodyBytesMax: 1000))
            defer { Task { await client.shutdown() } }
            await #expect(throws: XMLRPCTransportError.responseTooLarge(bytesMax: 1000)) {
                try await client.call("echo", [.string(String(repeating: "z", count: 2000))])
            }
            #expect(try await client.call("add", [1, 2]) == 3)
        }
    }

    @Test func callsAfterShutdownFail() async throws {
        try await withTestServer { _, port async throws in
            let client = XMLRPCClient(host: "127.0.0.1", port: port)
            #expect(try await client.call("add", [1, 2]) == 3)
            await client.shutdown()
            await #expect(throws: XMLRPCTransportError.shutDown) { try await client.call("add", [1, 2]) }
        }
    }
}

@Suite struct SystemMethodTests {
    @Test func introspectionBehavesLikePython() async throws {
        try await withTestServer { _, port async throws in
            let client = XMLRPCClient(host: "127.0.0.1", port: port)
            defer { Task { await client.shutdown() } }
            let names = try #require(try await client.call("system.listMethods", []).arrayValue).compactMap(\.stringValue)
            #expect(names == names.sorted())
            #expect(Set(names).isSuperset(of: ["add", "echo", "system.listMethods", "system.methodHelp",
                                              "system.methodSignature", "system.multicall"]))
            #expect(try await client.call("system.methodHelp", ["add"]) == "Adds two ints.")
            #expect(try await client.call("system.methodHelp", ["nope"]) == "")
            #expect(try await client.call("system.methodSignature", ["add"]) == [["int", "int", "int"]])
            #expect(try await client.call("system.methodSignature", ["crash"]) == "signatures not supported")
            await #expect(throws: XMLRPCFault.self) { try await client.call("system.methodHelp", [1]) }
        }
    }

    @Test func multicallReturnsResultListsAndFaultStructs() async throws {
        try await withTestServer { _, port async throws in
            let client = XMLRPCClient(host: "127.0.0.1", port: port)
            defer { Task { await client.shutdown() } }
            let results = try await client.call("system.multicall", [[
                ["methodName": "add", "params": [1, 2]],
                ["methodName": "nope", "params": []],
                ["methodName": "fail", "params": [9, "nine"]],
                ["methodName": "crash", "params": []],
                ["params": []],
                ["methodName": "echo", "params": ["last"]],
            ]])
            let expected: XMLRPCValue = [
                [3],
                ["faultCode": .int(XMLRPCFault.methodNotFound), "faultString": "method \"nope\" is not supported"],
                ["faultCode": 9, "faultString": "nine"],
                ["faultCode": .int(XMLRPCFault.internalError), "faultString": "handler broke"],
                ["faultCode": .int(XMLRPCFault.invalidParameters),
                 "faultString": "system.multicall: each call must be a struct of methodName (string) and params (array)"],
                ["last"],
            ]
            #expect(results == expected)
        }
    }

    @Test func typedParameterFaultsNameThePositionAndType() async throws {
        let parameters = XMLRPCParameters([1, "two", .nil], methodName: "m")
        #expect(try parameters.int(0) == 1)
        #expect(try parameters.optionalString(2) == nil)
        #expect(try parameters.optionalString(5) == nil)
        #expect(throws: XMLRPCFault(code: -32602, message: "m: parameter at index 1 must be int, got string")) {
            try parameters.int(1)
        }
        #expect(throws: XMLRPCFault(code: -32602, message: "m: parameter at index 3 is missing (got 3 parameters)")) {
            try parameters.string(3)
        }
        #expect(throws: XMLRPCFault(code: -32602, message: "m: takes 1 to 2 parameters, got 3")) {
            try parameters.expectCount(1...2)
        }
    }
}
