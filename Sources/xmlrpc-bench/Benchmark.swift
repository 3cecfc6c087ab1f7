import XMLRPC
#if canImport(Glibc)
import Glibc
#endif

/// Prints codec and loopback figures for a typical Paxos message. Build in release:
///   swift build -c release --product xmlrpc-bench && .build/release/xmlrpc-bench
@main
enum Benchmark {
    /// A phase-2 "accept" as a node sends it to its peers: about 400 bytes on the wire.
    static let paxosCall = XMLRPCMethodCall(methodName: "paxos.peer", parameters: [[
        "instance": 1_234_567,
        "ballot": ["round": 42, "node": 3],
        "value": "set order-42 = 3 widgets",
    ]])

    static func main() async throws {
        let document = XMLRPCCodec.encodeCall(paxosCall)
        let responseDocument = XMLRPCCodec.encodeResponse(.success(["accepted": true, "ballot": ["round": 42, "node": 3]]))
        print("message: methodCall paxos.peer, \(document.count) bytes; response \(responseDocument.count) bytes")

        var checksum = 0
        report("decode call", microseconds(iterations: 200_000) {
            checksum &+= (try? XMLRPCCodec.decodeCall(document))?.parameters.count ?? 0
        })
        report("encode call", microseconds(iterations: 200_000) {
            checksum &+= XMLRPCCodec.encodeCall(paxosCall).count
        })
        report("decode response", microseconds(iterations: 200_000) {
            if case .success = try? XMLRPCCodec.decodeResponse(responseDocument) { checksum &+= 1 }
        })
        print("(checksum \(checksum))")

        try await loopback(callers: 1, calls: 20_000)
        try await loopback(callers: 32, calls: 100_000)
    }

    /// Median of five rounds, per iteration, in microseconds of this thread's CPU time and of
    /// wall time. On a shared machine the wall figure includes time the thread waited for a
    /// core; the CPU figure is the codec's own cost.
    static func microseconds(iterations: Int, _ body: () -> Void) -> (cpu: Double, wall: Double) {
        for _ in 0..<(iterations / 10) { body() }  // warm up
        var rounds: [(cpu: Double, wall: Double)] = []
        for _ in 0..<5 {
            let cpuStart = threadCPUSeconds()
            let wall = ContinuousClock().measure { for _ in 0..<iterations { body() } }
            let cpu = threadCPUSeconds() - cpuStart
            rounds.append((cpu * 1e6 / Double(iterations), seconds(wall) * 1e6 / Double(iterations)))
        }
        return rounds.sorted { $0.cpu < $1.cpu }[2]
    }

    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    static func report(_ name: String, _ figures: (cpu: Double, wall: Double)) {
        print("\(name + String(repeating: " ", count: max(0, 16 - name.count))) \(format(figures.cpu, digits: 2)) µs/op CPU, "
              + "\(format(figures.wall, digits: 2)) µs/op wall")
    }

    static func loopback(callers: Int, calls: Int) async throws {
        let registry = XMLRPCMethodRegistry()
        registry.register("paxos.peer") { parameters in
            let message = try parameters.struct(0)
            return ["accepted": true, "ballot": message["ballot"] ?? .nil]
        }
        let server = XMLRPCServer(configuration: .init(host: "127.0.0.1", port: 0), registry: registry)
        try await server.start()
        let client = XMLRPCClient(host: "127.0.0.1", port: server.localPort,
                                  configuration: XMLRPCClientConfiguration(connectionsPerEndpointMax: callers))
        let parameters = paxosCall.parameters
        for _ in 0..<200 { _ = try await client.call("paxos.peer", parameters) }  // warm up, open connections

        let clock = ContinuousClock()
        let start = clock.now
        let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
            for caller in 0..<callers {
                let share = calls / callers + (caller < calls % callers ? 1 : 0)
                group.addTask {
                    var latencies: [Duration] = []
                    latencies.reserveCapacity(share)
                    for _ in 0..<share {
                        let sent = clock.now
                        _ = try await client.call("paxos.peer", parameters)
                        latencies.append(clock.now - sent)
                    }
                    return latencies
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }.sorted()
        }
        let elapsed = seconds(clock.now - start)
        await client.shutdown()
        try await server.shutdown()

        func percentile(_ fraction: Double) -> String {
            format(seconds(latencies[min(latencies.count - 1, Int(Double(latencies.count) * fraction))]) * 1e6, digits: 0)
        }
        print("loopback \(callers) caller\(callers == 1 ? " " : "s"): \(format(Double(latencies.count) / elapsed, digits: 0)) calls/s, "
              + "p50 \(percentile(0.50)) µs, p99 \(percentile(0.99)) µs (\(latencies.count) calls)")
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    static func format(_ value: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        return digits == 0 ? String(Int(rounded)) : String(rounded)
    }
}
