import Foundation
import PaxosLab
import PaxosServer
import Testing
import XMLRPC

#if canImport(Glibc)
import Glibc
#endif

/// A real cluster of `paxos node` processes on 127.0.0.1 (free ports, a temporary data
/// directory) with the lab's view of it; `tearDown` stops every process and removes every file.
final class LabTestCluster: Sendable {
    let local: LocalCluster
    let lab: LabCluster
    let root: String
    var basePort: Int { local.configuration.nodes[0].port }
    var ports: [Int] { local.configuration.nodes.map(\.port) }

    /// The cluster of the running suite (see `LiveClusterTrait`).
    @TaskLocal static var current: LabTestCluster?

    private init(local: LocalCluster, lab: LabCluster, root: String) {
        self.local = local
        self.lab = lab
        self.root = root
    }

    /// Starts `nodes` nodes and waits until each answers; cleans up if that fails.
    static func start(nodes: Int) async throws -> LabTestCluster {
        let root = try makeTemporaryDirectory("paxos-lab-test")
        do {
            let basePort = try freePortRange(count: nodes)
            let configuration = ClusterConfiguration.local(nodes: nodes, basePort: basePort, dataDirectory: root)
            let local = LocalCluster(configuration: configuration, configurationPath: root + "/cluster.json",
                                     executable: paxosExecutable, nodeArguments: ["--log-level", "info"])
            do {
                try local.startAll()
                try await local.waitUntilServing(timeoutSeconds: 30)
            } catch {
                local.stopAll(graceSeconds: 3)
                throw error
            }
            let lab = LabCluster(nodes: configuration.nodes.enumerated().map { index, node in
                LabCluster.Node(index: index, id: Int(node.id), address: node.address, port: node.port)
            }, signing: try local.operatorSigning())
            return LabTestCluster(local: local, lab: lab, root: root)
        } catch {
            try? FileManager.default.removeItem(atPath: root)
            throw error
        }
    }

    func tearDown() async {
        await lab.shutdown()
        local.stopAll(graceSeconds: 3)
        try? FileManager.default.removeItem(atPath: root)
    }

    /// The replicated file of node `index` (0-based) as it is on disk.
    func fileOnDisk(_ index: Int) -> String {
        let node = local.configuration.nodes[index]
        return (try? String(contentsOfFile: node.dataDirectory + "/" + NodeHost.replicatedFileName, encoding: .utf8)) ?? ""
    }

    /// Every node's file as `paxos.read` returns it, one "instance value\n" line per entry.
    func filesOverRPC() async throws -> [String] {
        var files: [String] = []
        for index in lab.nodes.indices {
            files.append(try await lab.fileLines(on: index).map { $0 + "\n" }.joined())
        }
        return files
    }
}

/// Starts one live cluster for a whole suite and stops it (every process, every file) when the
/// suite ends, however it ends. Tests reach it through `LabTestCluster.current`.
struct LiveClusterTrait: SuiteTrait, TestScoping {
    let nodes: Int

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let cluster = try await LabTestCluster.start(nodes: nodes)
        do {
            try await LabTestCluster.$current.withValue(cluster) { try await function() }
        } catch {
            await cluster.tearDown()
            throw error
        }
        await cluster.tearDown()
    }
}

extension Trait where Self == LiveClusterTrait {
    /// One cluster of `nodes` real node processes for the whole suite.
    static func liveCluster(nodes: Int) -> Self { LiveClusterTrait(nodes: nodes) }
}

/// The suite's cluster; fails the test (rather than crashing) if the suite has none.
func suiteCluster(sourceLocation: SourceLocation = #_sourceLocation) throws -> LabTestCluster {
    try #require(LabTestCluster.current, "this suite needs the .liveCluster trait", sourceLocation: sourceLocation)
}

/// Lines printed by a scenario, kept to explain a failure.
final class PrintedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    var printer: @Sendable (String) -> Void { { line in self.lock.withLock { self.lines.append(line) } } }
    var all: [String] { lock.withLock { lines } }
    var text: String { all.joined(separator: "\n") }
    func clear() { lock.withLock { lines.removeAll() } }
}

/// The `paxos` executable built next to the test binary.
let paxosExecutable: String = {
    let testBinary = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var directory = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
    // On Linux the test binary sits in the build directory itself; elsewhere inside a bundle.
    while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("paxos").path) && directory.path != "/" {
        directory.deleteLastPathComponent()
    }
    return directory.appendingPathComponent("paxos").path
}()

func makeTemporaryDirectory(_ prefix: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Finds `count` consecutive ports nobody listens on.
func freePortRange(count: Int) throws -> Int {
    guard let base = PortProbe.freeRange(count: count) else { throw LabError("no free range of \(count) ports found") }
    return base
}

/// Whether anything accepts a TCP connection on 127.0.0.1:`port`.
func somethingListens(on port: Int) -> Bool { PortProbe.somethingListens(on: port) }

/// Waits until `condition` holds, checking every 20 ms; throws after `seconds`.
func eventually(_ what: String, within seconds: Double = 15, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        if try await condition() { return }
        if Date() > deadline { throw LabError("timed out after \(seconds) s waiting until \(what)") }
        try await Task.sleep(nanoseconds: 20_000_000)
    }
}

// MARK: - Running the `paxos` command

struct CommandRun {
    var status: Int32
    var timedOut: Bool
    var output: String
    var errors: String
}

/// Runs `paxos ARGUMENTS` with `input` on its standard input (a pipe, closed after the input)
/// and waits at most `timeoutSeconds`. On a timeout it kills the command and every process it
/// started (a temporary cluster's nodes) and removes their temporary directories.
func runPaxos(_ arguments: [String], input: String = "", environment extra: [String: String] = [:],
              timeoutSeconds: Double = 120) async throws -> CommandRun {
    let scratch = try makeTemporaryDirectory("paxos-lab-run")
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    let outPath = scratch + "/stdout", errPath = scratch + "/stderr"
    FileManager.default.createFile(atPath: outPath, contents: nil)
    FileManager.default.createFile(atPath: errPath, contents: nil)
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    defer { try? out.close(); try? err.close() }

    let process = Process()
    process.executableURL = URL(fileURLWithPath: paxosExecutable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
    let stdin = Pipe()
    process.standardInput = stdin
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // A pipe holds 64 KiB: the input is far smaller, so this write never blocks.
    stdin.fileHandleForWriting.write(Data(input.utf8))
    try stdin.fileHandleForWriting.close()

    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while process.isRunning && Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
    let timedOut = process.isRunning
    if timedOut {
        let descendants = descendantProcesses(of: process.processIdentifier)
        kill(process.processIdentifier, SIGKILL)
        for pid in descendants {
            let directories = temporaryLabDirectories(of: pid)
            kill(pid, SIGKILL)
            for directory in directories { try? FileManager.default.removeItem(atPath: directory) }
        }
    }
    process.waitUntilExit()
    return CommandRun(status: process.terminationStatus, timedOut: timedOut,
                      output: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                      errors: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
}

/// Every process below `root`, from /proc (children of children too).
private func descendantProcesses(of root: Int32) -> [Int32] {
    var parentOf: [Int32: Int32] = [:]
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { continue }
        // After "pid (name) " come the state and the parent id.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        if fields.count > 1, let parent = Int32(fields[1]) { parentOf[pid] = parent }
    }
    var found: [Int32] = []
    var frontier = [root]
    while let next = frontier.popLast() {
        let children = parentOf.filter { $0.value == next }.map(\.key)
        found += children
        frontier += children
    }
    return found
}

/// The `paxos-lab-…` temporary directory a node process was started with, if any.
private func temporaryLabDirectories(of pid: Int32) -> [String] {
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
    let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    return arguments.compactMap { argument in
        guard argument.hasSuffix("/cluster.json") else { return nil }
        let directory = (argument as NSString).deletingLastPathComponent
        return (directory as NSString).lastPathComponent.hasPrefix("paxos-lab-") ? directory : nil
    }
}
