import PaxosCore

/// Figures of the disk under the log: how many durable appends per second one writer gets
/// alone (append + fdatasync each) and with group commit under concurrent writers. A command
/// prints them (`paxos bench` or the storage test gated by PAXOS_STORAGE_BENCH=1); they are
/// never asserted on.
public enum StorageBenchmark {
    public struct Figures: Sendable, CustomStringConvertible {
        public var label: String
        public var appends: Int
        public var syncs: Int
        public var seconds: Double

        public var appendsPerSecond: Double { Double(appends) / seconds }
        public var description: String {
            let perSecond = Int(appendsPerSecond.rounded())
            let perSync = Double(appends) / Double(max(syncs, 1))
            return "\(label): \(appends) durable appends in \(String(format3(seconds))) s = \(perSecond)/s, "
                + "\(syncs) fsyncs (\(String(format3(perSync))) appends per fsync)"
        }
    }

    /// The record appended: a chosen value of `valueBytes` bytes, the common case of a node.
    static func record(_ index: Int, valueBytes: Int) -> DurableRecord {
        .chosen(instance: InstanceNumber(index), command: .value(
            CommandID(node: NodeID(1), incarnation: 1, sequence: UInt64(index)),
            String(repeating: "v", count: valueBytes)))
    }

    /// One writer, `append` then `sync` for each record, in a fresh log under `directory`.
    public static func sequential(directory: String, fileSystem: any FileSystem, appends: Int, valueBytes: Int = 100) throws -> Figures {
        let (log, _) = try PaxosLog.open(directory: directory, fileSystem: fileSystem)
        defer { log.close() }
        let clock = ContinuousClock()
        let start = clock.now
        for index in 1...appends {
            try log.append([record(index, valueBytes: valueBytes)])
            try log.sync()
        }
        return Figures(label: "append+fdatasync, 1 writer", appends: appends, syncs: appends, seconds: seconds(clock.now - start))
    }

    /// `clients` tasks each appending durably in a loop through one GroupCommitLog.
    public static func groupCommit(directory: String, fileSystem: any FileSystem, clients: Int, appendsPerClient: Int, valueBytes: Int = 100) async throws -> Figures {
        let (log, _) = try PaxosLog.open(directory: directory, fileSystem: fileSystem)
        let group = GroupCommitLog(log: log)
        let clock = ContinuousClock()
        let start = clock.now
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for client in 0..<clients {
                    tasks.addTask {
                        for index in 0..<appendsPerClient {
                            try await group.appendDurably([record(client * appendsPerClient + index + 1, valueBytes: valueBytes)])
                        }
                    }
                }
                try await tasks.waitForAll()
            }
        } catch {
            group.close()
            throw error
        }
        let elapsed = seconds(clock.now - start)
        let syncs = group.syncCount
        group.close()
        return Figures(label: "group commit, \(clients) writers", appends: clients * appendsPerClient, syncs: syncs, seconds: elapsed)
    }

    /// fdatasync latency after one small write each, in a file that grows with every write or
    /// in one preallocated beforehand (what a WAL segment is): the figure behind preallocation.
    public struct SyncLatency: Sendable, CustomStringConvertible {
        public var label: String
        public var p50Microseconds: Double
        public var p90Microseconds: Double
        public var p99Microseconds: Double
        public var description: String {
            "\(label): fdatasync p50 \(Int(p50Microseconds.rounded())) us, p90 \(Int(p90Microseconds.rounded())) us, "
                + "p99 \(Int(p99Microseconds.rounded())) us"
        }
    }

    public static func syncLatency(path: String, fileSystem: any FileSystem, preallocated: Bool, syncs: Int, writeBytes: Int = 512) throws -> SyncLatency {
        try fileSystem.remove(path)
        let (file, _) = try fileSystem.openForAppending(path)
        defer {
            file.close()
            try? fileSystem.remove(path)
        }
        try fileSystem.syncDirectory(FilePaths.parent(of: path))
        if preallocated { try file.preallocate(bytes: syncs * writeBytes) }
        try file.sync()
        let bytes = [UInt8](repeating: 0x61, count: writeBytes)
        let clock = ContinuousClock()
        var durations: [Double] = []
        durations.reserveCapacity(syncs)
        for _ in 0..<syncs {
            try file.write(bytes)
            let start = clock.now
            try file.sync()
            durations.append(seconds(clock.now - start) * 1e6)
        }
        durations.sort()
        func percentile(_ fraction: Double) -> Double { durations[min(durations.count - 1, Int(Double(durations.count) * fraction))] }
        return SyncLatency(label: preallocated ? "preallocated file" : "growing file",
                           p50Microseconds: percentile(0.5), p90Microseconds: percentile(0.9), p99Microseconds: percentile(0.99))
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private static func format3(_ value: Double) -> String {
        let thousandths = Int((value * 1000).rounded())
        let fraction = String(thousandths % 1000)
        return "\(thousandths / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
