import ArgumentParser
import Foundation
import PaxosServer
import XMLRPC

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure submits/s and latency against a temporary local cluster (prints figures; not a test).",
        discussion: """
            For each cluster size in --nodes, starts a fresh cluster of real node processes in a \
            temporary directory (fsync on, logs at warning), then for each client count in \
            --clients runs that many concurrent submit loops, spread over the nodes, for \
            --seconds. Prints submits/s and p50/p99 latency per run.
            """
    )

    @Option(help: "Cluster sizes, comma-separated.")
    var nodes = "3,5"

    @Option(help: "Concurrent clients per run, comma-separated.")
    var clients = "1,32"

    @Option(help: "Seconds per run (after one second of warm-up).")
    var seconds: Double = 5

    @Option(help: "Port of node 1 of the temporary clusters.")
    var basePort = 18000

    @Option(help: "Bytes per submitted value.")
    var valueBytes = 16

    func validate() throws {
        guard parse(nodes)?.allSatisfy({ (1...9).contains($0) }) == true else { throw ValidationError("--nodes takes sizes 1-9, e.g. 3,5") }
        guard parse(clients)?.allSatisfy({ (1...1024).contains($0) }) == true else { throw ValidationError("--clients takes counts 1-1024, e.g. 1,32") }
        guard seconds > 0 && seconds <= 600 else { throw ValidationError("--seconds must be in (0, 600]") }
        guard (8...60_000).contains(valueBytes) else { throw ValidationError("--value-bytes must be 8-60000") }
    }

    private func parse(_ list: String) -> [Int]? {
        let items = list.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        return items.contains(nil) || items.isEmpty ? nil : items.map { $0! }
    }

    func run() async throws {
        say(MachineFacts.describe())
        say(String(format: "%-6@ %-8@ %12@ %10@ %10@ %10@ %8@", "nodes", "clients", "submits", "submits/s", "p50 ms", "p99 ms", "errors"))
        for size in parse(nodes)! {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("paxos-bench-\(UUID().uuidString.prefix(8))").path
            let configuration = ClusterConfiguration.local(nodes: size, basePort: basePort, dataDirectory: root)
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            let cluster = LocalCluster(configuration: configuration, configurationPath: root + "/cluster.json",
                                       executable: LocalCluster.currentExecutable,
                                       nodeArguments: ["--log-level", "warning", "--request-timeout-ms", "10000"])
            defer {
                cluster.stopAll()
                try? FileManager.default.removeItem(atPath: root)
            }
            try cluster.startAll()
            try await cluster.waitUntilServing()
            for clientCount in parse(clients)! {
                let result = try await measure(configuration: configuration, clients: clientCount)
                say(String(format: "%-6d %-8d %12d %10.0f %10.2f %10.2f %8d", size, clientCount, result.count,
                           result.perSecond, result.p50Milliseconds, result.p99Milliseconds, result.errors))
            }
        }
    }

    struct Result {
        var count: Int
        var perSecond: Double
        var p50Milliseconds: Double
        var p99Milliseconds: Double
        var errors: Int
    }

    private func measure(configuration: ClusterConfiguration, clients clientCount: Int) async throws -> Result {
        let perNode = (clientCount + configuration.nodes.count - 1) / configuration.nodes.count
        let connections = XMLRPCClientConfiguration(connectionsPerEndpointMax: max(perNode, 1))
        let endpoints = configuration.nodes.map { XMLRPCClient(host: $0.host, port: $0.port, configuration: connections) }
        defer { for endpoint in endpoints { Task { await endpoint.shutdown() } } }
        let payload = String(repeating: "x", count: valueBytes - 8)
        let warmUp = ContinuousClock.now.advanced(by: .seconds(1))
        let end = warmUp.advanced(by: .milliseconds(Int(seconds * 1000)))
        let samples = await withTaskGroup(of: ([Double], Int).self) { group in
            for client in 0..<clientCount {
                let endpoint = endpoints[client % endpoints.count]
                group.addTask {
                    var latencies: [Double] = []
                    var errors = 0
                    var sequence = 0
                    while ContinuousClock.now < end {
                        sequence += 1
                        let value = String(format: "%03d%04d", client % 1000, sequence % 10000) + payload
                        let start = ContinuousClock.now
                        do {
                            _ = try await endpoint.call("paxos.submit", [.string(value)], timeout: .seconds(15))
                            if start >= warmUp {
                                let elapsed = ContinuousClock.now - start
                                latencies.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
                            }
                        } catch {
                            if start >= warmUp { errors += 1 }
                        }
                    }
                    return (latencies, errors)
                }
            }
            var all: [Double] = []
            var errors = 0
            for await (latencies, failed) in group {
                all.append(contentsOf: latencies)
                errors += failed
            }
            return (all, errors)
        }
        let sorted = samples.0.sorted()
        func percentile(_ p: Double) -> Double {
            sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
        }
        return Result(count: sorted.count, perSecond: Double(sorted.count) / seconds,
                      p50Milliseconds: percentile(0.50), p99Milliseconds: percentile(0.99), errors: samples.1)
    }
}

/// The facts of the machine a figure was measured on, printed with every benchmark.
enum MachineFacts {
    static func describe() -> String {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        let memory = ProcessInfo.processInfo.physicalMemory / (1 << 30)
        let kernel = (try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
        return "machine: \(ProcessInfo.processInfo.activeProcessorCount) CPUs (\(cpu)), \(memory) GiB, Linux \(kernel)"
    }
}
