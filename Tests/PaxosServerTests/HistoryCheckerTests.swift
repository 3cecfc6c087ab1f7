import Foundation
import Testing

/// `history_checker.py` on histories made by hand: it passes a correct one and names each kind
/// of violation in a broken one (a checker that cannot fail proves nothing).
@Suite("History checker")
struct HistoryCheckerTests {
    /// Writes the history and the files into a fresh folder and runs the checker on them.
    private func check(history: [String], files: [String]) async throws -> (status: Int32, output: String, figures: [String: Int]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("paxos-history-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try (history.joined(separator: "\n") + "\n").write(toFile: folder + "/history.jsonl", atomically: true, encoding: .utf8)
        var paths: [String] = []
        for (index, contents) in files.enumerated() {
            paths.append(folder + "/replicated-\(index + 1).txt")
            try contents.write(toFile: paths.last!, atomically: true, encoding: .utf8)
        }
        let checker = try ChildProcess.python("history_checker.py", [folder + "/history.jsonl"] + paths)
        let result = try await checker.exit(within: 30)
        return (result.status, result.output, checkerFigures(result.output))
    }

    private let correctHistory = [
        #"{"client": 1, "op": "submit", "value": "a", "invoke": 1.0, "complete": 2.0, "outcome": "ok", "instance": 1}"#,
        #"{"client": 2, "op": "submit", "value": "b", "invoke": 2.5, "complete": 3.0, "outcome": "ok", "instance": 2}"#,
        #"{"client": 2, "op": "submit", "value": "c", "invoke": 3.5, "complete": 4.0, "outcome": "unknown"}"#,
        #"{"client": 3, "op": "submit", "value": "d", "invoke": 3.5, "complete": 4.0, "outcome": "fault", "fault_code": 1}"#,
        #"{"client": 3, "op": "read", "consistency": "linearizable", "invoke": 3.2, "complete": 4.0, "outcome": "ok", "read": [[1, "a"], [2, "b"]]}"#,
    ]

    @Test("a correct history passes: an unknown outcome may be chosen, a file may trail another")
    func correctHistoryPasses() async throws {
        let result = try await check(history: correctHistory, files: ["1 a\n2 b\n3 c\n", "1 a\n2 b\n"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.figures["ok"] == 2 && result.figures["unknown_present"] == 1 && result.figures["linearizable_reads_ok"] == 1,
                "\(result.output)")
    }

    @Test("a value twice, a value that got fault 1, a lost acknowledgment and disagreeing files are each named")
    func fileViolationsAreCaught() async throws {
        let result = try await check(history: correctHistory, files: ["1 a\n2 x\n3 c\n4 d\n5 c\n", "1 a\n2 b\n"])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.figures["duplicates"] == 1, "\(result.output)")
        #expect(result.figures["fault_present"] == 1, "\(result.output)")
        #expect(result.figures["lost"] == 1, "\(result.output)")
        #expect(result.figures["agreement"] == 1, "\(result.output)")
        #expect(result.figures["foreign_values"] == 1, "\(result.output)")  // x
    }

    @Test("an instance below one acknowledged before the submit began, and a stale linearizable read, are caught")
    func realTimeViolationsAreCaught() async throws {
        let history = [
            #"{"client": 1, "op": "submit", "value": "a", "invoke": 1.0, "complete": 2.0, "outcome": "ok", "instance": 2}"#,
            #"{"client": 2, "op": "submit", "value": "b", "invoke": 2.5, "complete": 3.0, "outcome": "ok", "instance": 1}"#,
            #"{"client": 3, "op": "read", "consistency": "linearizable", "invoke": 3.2, "complete": 4.0, "outcome": "ok", "read": [[1, "b"]]}"#,
            #"{"client": 3, "op": "read", "consistency": "local", "invoke": 3.2, "complete": 4.0, "outcome": "ok", "read": [[1, "b"]]}"#,
        ]
        let result = try await check(history: history, files: ["1 b\n2 a\n"])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.figures["real_time_order"] == 1, "\(result.output)")
        #expect(result.figures["stale_reads"] == 1, "\(result.output)")  // the local read may trail
    }

    @Test("a history line that is not a record is refused with exit status 2 and its line number")
    func badInputIsRefused() async throws {
        let result = try await check(history: [#"{"op": "write"}"#], files: ["1 a\n"])
        #expect(result.status == 2)
        #expect(result.output.contains("history.jsonl:1"), "\(result.output)")
    }
}
