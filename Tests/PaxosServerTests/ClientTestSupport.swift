import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The repository's `clients/python` folder (the tests run the files users run, not copies).
let pythonClientsDirectory: String = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("clients/python").path

/// A child process whose output goes to a temporary file, awaited with a deadline: started by a
/// test, killed by it whatever happens (`stop` in a `defer`).
final class ChildProcess: @unchecked Sendable {
    private let process = Process()
    private let outputPath: String
    private let handle: FileHandle

    init(_ executable: String, _ arguments: [String]) throws {
        outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("paxos-child-\(UUID().uuidString).out").path
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// `python3 clients/python/<script> arguments…`.
    static func python(_ script: String, _ arguments: [String]) throws -> ChildProcess {
        try ChildProcess("/usr/bin/env", ["python3", pythonClientsDirectory + "/" + script] + arguments)
    }

    /// The `paxos` executable of this build.
    static func paxos(_ arguments: [String]) throws -> ChildProcess {
        try ChildProcess(TestCluster.executable, arguments)
    }

    var isRunning: Bool { process.isRunning }
    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    /// Waits for the exit without blocking a thread; kills the process and throws at the deadline.
    func exit(within seconds: Double) async throws -> (status: Int32, output: String) {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning {
            if Date() >= deadline {
                stop()
                throw TimeoutError(description: "\(process.arguments ?? []) still running after \(seconds) s; output:\n\(output)")
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        return (process.terminationStatus, output)
    }

    /// Kills the process if it still runs (its output stays readable until the object goes).
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? handle.close()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: outputPath)
    }
}

extension TestCluster {
    /// Pauses a node with SIGSTOP (it keeps its sockets, so callers hang instead of being
    /// refused: the hardest failure for a client to tell apart from slowness).
    func pause(_ id: UInt32) {
        if let pid = cluster.pid(of: id) { kill(pid, SIGSTOP) }
    }

    /// Resumes a paused node (harmless on one that runs, and needed before any teardown).
    func resume(_ id: UInt32) {
        if let pid = cluster.pid(of: id) { kill(pid, SIGCONT) }
    }

    /// The members as `HOST:PORT`, in node order.
    var addresses: [String] { configuration.nodes.map(\.address) }

    /// The replicated files' paths, in node order.
    var filePaths: [String] { configuration.nodes.map { filePath($0.id) } }
}

/// The `figures:` JSON line that `history_checker.py` prints last.
func checkerFigures(_ output: String) -> [String: Int] {
    guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("figures: ") }),
          let object = try? JSONSerialization.jsonObject(with: Data(line.dropFirst("figures: ".count).utf8)) as? [String: Any]
    else { return [:] }
    return object.compactMapValues { $0 as? Int }
}
