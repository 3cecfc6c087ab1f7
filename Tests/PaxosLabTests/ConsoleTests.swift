import Foundation
import PaxosLab
import Testing

/// Starts a fresh cluster for one test and stops it (every process, every file) however the test ends.
func withFreshCluster(nodes: Int, _ body: (LabTestCluster) async throws -> Void) async throws {
    let cluster = try await LabTestCluster.start(nodes: nodes)
    do {
        try await body(cluster)
    } catch {
        await cluster.tearDown()
        throw error
    }
    await cluster.tearDown()
}

/// The lines a console printed for one command: from its echo "> command" to the next echo.
func answers(to command: String, in output: String) -> [String] {
    let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard let start = lines.firstIndex(of: "> \(command)") else { return [] }
    return lines[(start + 1)...].prefix { !$0.hasPrefix("> ") }.filter { !$0.isEmpty }
}

func committed(_ port: Int, _ value: String) -> String {
    "Node \(port) responded: Value '\(value)' has been updated and committed."
}

extension LabAcceptanceTests {
    @Suite("The seed's console, fed by a pipe", .timeLimit(.minutes(5)))
    struct ConsoleSession {
        @Test("The seed report's session: A_wins, restart, B_wins, BB_wins, set value leave 456, 123, 7 in every file")
        func seedReportSession() async throws {
            try await withFreshCluster(nodes: 5) { cluster in
                let p = cluster.basePort
                let commands = [
                    "A_wins \(p) \(p + 4) 123 456",
                    "restart",
                    "B_wins \(p) \(p + 4) 456 123",
                    "BB_wins \(p) \(p + 4) 456 123",
                    "set value 7 on \(p + 1)",
                    "exit",
                    "set value 99 on \(p)",  // after exit: never run
                ]
                let run = try await runPaxos(["console", "--base-port", String(p), "--data-dir", cluster.root], input: commands.joined(separator: "\n") + "\n", timeoutSeconds: 90)
                let transcript = "\(run.output)\n\(run.errors)"
                #expect(run.status == 0 && !run.timedOut, "\(transcript)")
                #expect(run.output.contains("using the cluster of 5 nodes answering at 127.0.0.1:\(p)"), "\(transcript)")
                #expect(!run.output.contains("Error") && !run.output.contains("Warning"), "\(transcript)")

                // A_wins: 123 is chosen before 8004 starts; both nodes answer 123.
                #expect(answers(to: commands[0], in: run.output) == [committed(p, "123"), committed(p + 4, "123")], "\(transcript)")
                #expect(answers(to: "restart", in: run.output) == ["All nodes are restarted and their states reset."])
                // B_wins: 8004 sees 456 at the overlap and adopts it.
                #expect(answers(to: commands[2], in: run.output) == [committed(p, "456"), committed(p + 4, "456")], "\(transcript)")
                // BB_wins: 8004's quorum never saw 456: its own 123 wins and 8000 learns it.
                #expect(answers(to: commands[3], in: run.output) == [committed(p, "123"), committed(p + 4, "123")], "\(transcript)")
                #expect(answers(to: commands[4], in: run.output) == [committed(p + 1, "7")], "\(transcript)")
                #expect(!run.output.contains("set value 99"), "exit ends the console")

                let expected = "1 456\n2 123\n3 7\n"
                try await eventually("every node has learned instances 1-3", within: 15) {
                    (0..<5).allSatisfy { cluster.fileOnDisk($0) == expected }
                }
                #expect((0..<5).map { cluster.fileOnDisk($0) } == Array(repeating: expected, count: 5))
                #expect(try await cluster.filesOverRPC() == Array(repeating: expected, count: 5))
            }
        }

        @Test("A_wins alone: 123 is chosen in every file, and the console ends at end of input without exit")
        func aWinsAlone() async throws {
            try await withFreshCluster(nodes: 5) { cluster in
                let p = cluster.basePort
                let command = "A_wins \(p) \(p + 4) 123 456"
                let run = try await runPaxos(["console", "--base-port", String(p), "--data-dir", cluster.root], input: command + "\n", timeoutSeconds: 60)
                #expect(run.status == 0 && !run.timedOut, "\(run.output)\n\(run.errors)")
                #expect(answers(to: command, in: run.output) == [committed(p, "123"), committed(p + 4, "123")], "\(run.output)")
                try await eventually("every file holds 1 123", within: 15) {
                    (0..<5).allSatisfy { cluster.fileOnDisk($0) == "1 123\n" }
                }
                #expect(try await cluster.filesOverRPC() == Array(repeating: "1 123\n", count: 5))
            }
        }

        @Test("With no cluster at the base port the console starts a temporary one and removes it at the end")
        func temporaryCluster() async throws {
            let p = try freePortRange(count: 5)
            // The console's own temporary directory goes here, so the test can see it removed.
            let temporary = try makeTemporaryDirectory("paxos-lab-tmpdir")
            defer { try? FileManager.default.removeItem(atPath: temporary) }
            let commands = ["a_WINS \(p) \(p + 4) 123 456", "Set Value 5 On \(p + 2)", "STATUS", "help", "frobnicate"]
            let run = try await runPaxos(["console", "--base-port", String(p), "--nodes", "5"],
                                         input: commands.joined(separator: "\n"), environment: ["TMPDIR": temporary], timeoutSeconds: 90)
            let transcript = "\(run.output)\n\(run.errors)"
            #expect(run.status == 0 && !run.timedOut, "\(transcript)")
            #expect(run.output.contains("no cluster answers at 127.0.0.1:\(p): starting a temporary one of 5 nodes (ports \(p)-\(p + 4))"), "\(transcript)")
            #expect(answers(to: commands[0], in: run.output) == [committed(p, "123"), committed(p + 4, "123")], "\(transcript)")
            #expect(answers(to: commands[1], in: run.output) == [committed(p + 2, "5")], "\(transcript)")
            let status = answers(to: "STATUS", in: run.output)
            #expect(status.count == 5, "\(transcript)")
            for (index, line) in status.enumerated() {
                #expect(line.hasPrefix("Node \(p + index) (S\(index + 1)): "), "\(line)")
            }
            #expect(answers(to: "help", in: run.output).contains { $0.contains("BB_wins <port1> <port2> <v1> <v2>") })
            #expect(answers(to: "frobnicate", in: run.output) == ["Unknown command 'frobnicate'. Type help for the commands."])
            // The last line had no newline: it still ran, and the console still ended.

            // Everything it started is gone: no node answers, no temporary files are left.
            for port in p..<(p + 5) {
                #expect(!somethingListens(on: port), "a node still listens on \(port)")
            }
            let left = (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []
            #expect(left.isEmpty, "left behind: \(left)")
        }
    }
}
