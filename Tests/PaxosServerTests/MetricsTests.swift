import Foundation
import PaxosServer
import Testing
import XMLRPC

/// Issue 18: `GET /metrics` on every node, scraped the way Prometheus would, by Python's urllib.
@Suite("Live node: metrics", .serialized)
struct MetricsTests {
    @Test("GET /metrics speaks the Prometheus text format, its names follow the conventions, and the counters move with the work")
    func countersMove() async throws {
        let test = try TestCluster()
        defer { test.tearDown() }
        try await test.start()
        let script = """
            import sys, re, time, urllib.request, xmlrpc.client
            port = int(sys.argv[1])
            def scrape():
                with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as answer:
                    assert answer.status == 200, answer.status
                    assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4"), answer.headers["Content-Type"]
                    text = answer.read().decode()
                samples = {}
                for line in text.splitlines():
                    if not line or line.startswith("#"):
                        continue
                    name, value = line.rsplit(" ", 1)
                    samples[name] = float(value)
                return samples
            before = scrape()
            problems = []
            for name in before:
                base = name.split("{")[0]
                if not base.startswith("paxos_"):
                    problems.append("no paxos_ prefix: " + name)
                if "duration" in base and "_seconds" not in base:
                    problems.append("a duration not in seconds: " + name)
            node = xmlrpc.client.ServerProxy("http://127.0.0.1:%d/RPC2" % port)
            for i in range(5):
                node.paxos.submit("metric-%d" % i)
            try:
                node.paxos.submit("bad\\nvalue")
            except xmlrpc.client.Fault:
                pass
            node.paxos.read(1, {"consistency": "linearizable"})
            deadline = time.time() + 10
            while True:
                after = scrape()
                if after.get("paxos_applied_instance", 0) >= 5 or time.time() > deadline:
                    break
                time.sleep(0.05)
            def moved(name):
                return after.get(name, 0) - before.get(name, 0)
            checks = {
                "ok submits": moved('paxos_submits_total{outcome="ok"}') == 5,
                "invalid submits": moved('paxos_submits_total{outcome="invalid"}') == 1,
                "linearizable reads": moved('paxos_reads_total{outcome="linearizable"}') == 1,
                "decisions": moved("paxos_decisions_total") >= 5,
                "fsyncs": moved("paxos_fsync_duration_seconds_count") >= 1,
                "peer calls": moved('paxos_peer_call_duration_seconds_count{peer="2"}') >= 1,
                "wal records": moved("paxos_wal_records_appended_total") >= 5,
                "leading": after.get("paxos_leading") == 1.0,
                "applied": after.get("paxos_applied_instance", 0) >= 5,
                "connections": after.get("paxos_open_connections", 0) >= 1,
                "histogram buckets": any(name.startswith("paxos_fsync_duration_seconds_bucket") for name in after),
            }
            failed = [name for name, ok in checks.items() if not ok]
            print("problems:", problems, "failed:", failed)
            sys.exit(1 if problems or failed else 0)
            """
        let result = try await runPython(script, arguments: [String(test.ports[0])])
        #expect(result.status == 0, "\(result.output)")
    }
}

@Suite("Live node: logs and status for operators", .serialized)
struct OperatorViewTests {
    @Test("--log-format json writes one JSON object per line; protocol steps stay out at info; paxos status --json has every node's figures")
    func jsonLogsAndStatus() async throws {
        let test = try TestCluster(nodeArguments: ["--log-format", "json"])
        defer { test.tearDown() }
        try await test.start()
        _ = try await test.call(1, "paxos.submit", [.string("logged")])
        try await eventually("every file holds the value") { [1, 2, 3].allSatisfy { test.fileContents($0) == "1 logged\n" } }

        let lines = test.logContents(1).split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] is String && object?["message"] is String && object?["time"] is String, "\(line)")
            #expect(object?["level"] as? String != "debug", "protocol steps are at debug: \(line)")
        }
        #expect(lines.contains { $0.contains("\"message\":\"node started\"") })

        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestCluster.executable)
        process.arguments = ["status", "--node", test.node(2).address, "--json"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let nodes = try JSONSerialization.jsonObject(with: output) as? [[String: Any]] ?? []
        #expect(nodes.map { $0["node"] as? Int } == [1, 2, 3])
        for node in nodes {
            #expect(node["state"] as? String == "up")
            for field in ["leader", "leading", "ballotRound", "lag", "pendingSubmits", "fsyncP99Seconds", "uptimeSeconds", "applied"] {
                #expect(node[field] != nil, "\(field) in \(node)")
            }
        }
        #expect(nodes.first?["leading"] as? Bool == true)
    }
}
