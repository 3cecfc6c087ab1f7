import CoreMetrics
import PaxosCore
import Prometheus
import Synchronization
import XMLRPC

// swift-prometheus has types of these names too; the node speaks swift-metrics' API.
private typealias Counter = CoreMetrics.Counter
private typealias Gauge = CoreMetrics.Gauge
private typealias Timer = CoreMetrics.Timer
private typealias Recorder = CoreMetrics.Recorder

/// A node's metrics, through the swift-metrics API onto a Prometheus registry of its own, served
/// as `GET /metrics` in the Prometheus text format (README, Operating). Counters move where the
/// event happens; the gauges of the node's state are refreshed at every heartbeat (200 ms), so
/// a scrape never waits for the node's actor.
final class NodeMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory

    // Clients.
    private let submitOutcomes: [String: Counter]
    private let readOutcomes: [String: Counter]
    // The protocol, from the core's trace.
    private let decisions, proposalsStarted, proposalsPreempted, valuesAdopted: Counter
    private let leadershipsWon, leadershipsEnded, leaderChanges, catchUpEntries: Counter
    // Storage.
    private let walRecords: Counter
    private let fsyncSeconds: Timer
    // Peers.
    private let peerCallSeconds: [UInt32: Timer]
    private let peerCallsFailed: [UInt32: Counter]
    private let peerBatchMessages: Recorder
    private let filteredMessages: Counter
    // State, refreshed at each heartbeat.
    private let leading, leader, ballotRound, appliedInstance, chosenInstance, pendingSubmits, walSize: Gauge
    private let snapshotInstance: Gauge
    private let openConnections: Gauge
    private let lastLeader = Mutex<NodeID?>(nil)
    /// The latest fsync durations, for the p99 that `paxos.status` reports.
    private let recentFsyncs = Mutex(RecentDurations())

    /// Submit outcomes by name: "ok" and the fault codes a submit can end with.
    static let submitOutcomeNames = ["ok", "fault_1", "fault_2", "fault_3", "fault_4", "fault_6", "fault_8", "invalid", "other"]
    static let readOutcomeNames = ["local", "linearizable", "fault_1", "fault_3", "fault_4", "other"]

    init(peers: [UInt32]) {
        var factory = PrometheusMetricsFactory(registry: registry)
        // fsyncs and loopback calls take tens of microseconds to milliseconds: the default
        // buckets start at 5 ms.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
            .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(100), .seconds(1),
        ]
        factory.valueHistogramBuckets["paxos_peer_batch_messages"] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
        self.factory = factory
        func counter(_ name: String, _ dimensions: [(String, String)] = []) -> Counter {
            Counter(label: name, dimensions: dimensions, factory: factory)
        }
        func gauge(_ name: String) -> Gauge { Gauge(label: name, dimensions: [], factory: factory) }
        func byOutcome(_ name: String, _ outcomes: [String]) -> [String: Counter] {
            Dictionary(uniqueKeysWithValues: outcomes.map { ($0, counter(name, [("outcome", $0)])) })
        }
        submitOutcomes = byOutcome("paxos_submits_total", Self.submitOutcomeNames)
        readOutcomes = byOutcome("paxos_reads_total", Self.readOutcomeNames)
        decisions = counter("paxos_decisions_total")
        proposalsStarted = counter("paxos_proposals_started_total")
        proposalsPreempted = counter("paxos_proposals_preempted_total")
        valuesAdopted = counter("paxos_values_adopted_total")
        leadershipsWon = counter("paxos_leaderships_won_total")
        leadershipsEnded = counter("paxos_leaderships_ended_total")
        leaderChanges = counter("paxos_leader_changes_total")
        catchUpEntries = counter("paxos_catch_up_entries_received_total")
        walRecords = counter("paxos_wal_records_appended_total")
        fsyncSeconds = Timer(label: "paxos_fsync_duration_seconds", dimensions: [], factory: factory)
        peerCallSeconds = Dictionary(uniqueKeysWithValues: peers.map {
            ($0, Timer(label: "paxos_peer_call_duration_seconds", dimensions: [("peer", String($0))], factory: factory))
        })
        peerCallsFailed = Dictionary(uniqueKeysWithValues: peers.map { ($0, counter("paxos_peer_calls_failed_total", [("peer", String($0))])) })
        peerBatchMessages = Recorder(label: "paxos_peer_batch_messages", dimensions: [], aggregate: true, factory: factory)
        filteredMessages = counter("paxos_fault_filter_messages_total")
        leading = gauge("paxos_leading")
        leader = gauge("paxos_leader")
        ballotRound = gauge("paxos_ballot_round")
        appliedInstance = gauge("paxos_applied_instance")
        chosenInstance = gauge("paxos_chosen_instance")
        pendingSubmits = gauge("paxos_pending_submits")
        walSize = gauge("paxos_wal_size_bytes")
        snapshotInstance = gauge("paxos_snapshot_instance")
        openConnections = gauge("paxos_open_connections")
    }

    /// The Prometheus text exposition of every metric.
    func render(openConnections connections: Int) -> [UInt8] {
        openConnections.record(connections)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }

    // MARK: Events

    func submitted(_ outcome: String) { (submitOutcomes[outcome] ?? submitOutcomes["other"]!).increment() }
    func read(_ outcome: String) { (readOutcomes[outcome] ?? readOutcomes["other"]!).increment() }

    /// The name a client outcome is counted under: "fault_N" for an application fault.
    static func outcome(of error: any Error) -> String {
        guard let fault = error as? XMLRPCFault else { return "other" }
        return fault.code == XMLRPCFault.invalidParameters ? "invalid" : "fault_\(fault.code)"
    }

    func traced(_ events: [TraceEvent]) {
        for event in events {
            switch event {
            case .chosen, .learned: decisions.increment()
            case .prepareSent: proposalsStarted.increment()
            case .preempted: proposalsPreempted.increment()
            case .valueAdopted: valuesAdopted.increment()
            case .leading: leadershipsWon.increment()
            case .leadershipEnded: leadershipsEnded.increment()
            default: break
            }
        }
    }

    func appended(records: Int) { if records > 0 { walRecords.increment(by: Int64(records)) } }
    func synced(_ duration: Duration) {
        fsyncSeconds.recordNanoseconds(duration.nanoseconds)
        recentFsyncs.withLock { $0.add(duration) }
    }

    /// The 99th percentile of the latest fsyncs (up to `RecentDurations.capacity`), or nil.
    var recentFsyncP99: Duration? { recentFsyncs.withLock { $0.percentile(0.99) } }
    func received(catchUpEntries count: Int) { catchUpEntries.increment(by: Int64(count)) }
    func filtered(_ count: Int) { if count > 0 { filteredMessages.increment(by: Int64(count)) } }

    func peerCall(to peer: UInt32, took duration: Duration, messages: Int, failed: Bool) {
        peerCallSeconds[peer]?.recordNanoseconds(duration.nanoseconds)
        peerBatchMessages.record(messages)
        if failed { peerCallsFailed[peer]?.increment() }
    }

    /// The snapshot point moved (the log and memory were compacted up to `instance`).
    func snapshotPointMoved(to instance: InstanceNumber) {
        snapshotInstance.record(Int(clamping: instance))
    }

    /// The node's state, at a heartbeat.
    func refresh(core: PaxosNode, walBytes: Int) {
        walSize.record(walBytes)
        leading.record(core.isLeading ? 1 : 0)
        let current = core.distinguishedProposer
        leader.record(Int(current.rawValue))
        let changed = lastLeader.withLock { last -> Bool in
            defer { last = current }
            return last != nil && last != current
        }
        if changed { leaderChanges.increment() }
        ballotRound.record(Int(clamping: core.highestRound))
        appliedInstance.record(Int(clamping: core.appliedThrough))
        chosenInstance.record(Int(clamping: core.highestChosen))
        pendingSubmits.record(core.pendingSubmitCount)
    }
}

/// The last `capacity` durations, in a ring.
struct RecentDurations {
    static let capacity = 1_024
    private var values: [Duration] = []
    private var next = 0

    mutating func add(_ duration: Duration) {
        if values.count < Self.capacity { values.append(duration) } else { values[next] = duration }
        next = (next + 1) % Self.capacity
    }

    func percentile(_ fraction: Double) -> Duration? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// Seconds with millisecond precision, for log lines.
    var seconds: String {
        let milliseconds = nanoseconds / 1_000_000
        return "\(milliseconds / 1000).\(String(milliseconds % 1000 + 1000).dropFirst())"
    }
}
