import Foundation

/// A `python3 -c script args...` child process whose output is collected as it comes.
/// Call `stop()` in a `defer`: it terminates the process if it still runs and reaps it.
final class PythonProcess: @unchecked Sendable {
    private let process = Process()
    private let outputPipe = Pipe()
    private let errorPipe = Pipe()
    private let lock = NSLock()
    private var output: [UInt8] = []
    private var errorOutput: [UInt8] = []

    init(script: String, arguments: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", "-c", script] + arguments
        process.standardOutput = outputPipe
        process.standardError = errorPipe
        outputPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self else { return }
            lock.withLock { output += data }
        }
        errorPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self else { return }
            lock.withLock { errorOutput += data }
        }
        try process.run()
    }

    var standardOutput: String { lock.withLock { String(decoding: output, as: UTF8.self) } }
    var standardError: String { lock.withLock { String(decoding: errorOutput, as: UTF8.self) } }
    var isRunning: Bool { process.isRunning }

    /// The first line printed, once it is there.
    func firstLine(timeout: Duration = .seconds(60)) async throws -> String {
        guard try await waitUntil(timeout: timeout, { [self] in standardOutput.contains("\n") || !isRunning }),
              let line = standardOutput.split(separator: "\n").first
        else { throw TestError(description: "python printed no line; stderr: \(standardError)") }
        return String(line)
    }

    /// The exit status, once the process has ended.
    func exitStatus(timeout: Duration = .seconds(60)) async throws -> Int32 {
        guard try await waitUntil(timeout: timeout, { [self] in !isRunning }) else {
            throw TestError(description: "python did not finish in time; stderr: \(standardError)")
        }
        return process.terminationStatus
    }

    /// SIGKILL, not SIGTERM: a child inherits the test process's signal mask, in which
    /// SIGTERM is blocked, so `terminate()` alone would leave it running.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        outputPipe.fileHandleForReading.readabilityHandler = nil
        errorPipe.fileHandleForReading.readabilityHandler = nil
    }
}
