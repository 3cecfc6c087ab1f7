/// Where a run's time goes, by kind of event and by phase (`paxos simulate --cost`): a tool for
/// making the simulator faster, not a check. The profile of the simulator is flat (no function
/// above a few percent of its own), so a function-level profile does not say which parts of a
/// run are dear; this does: what one peer call, fsync or restart costs, and how much of the time
/// the calm phase takes, in which the cluster recovers from the faults (re-proposals, queued
/// submits, catch-ups, snapshot installs) and settles.
///
/// The clock is the caller's (`Simulator.run(seed:options:costClock:)`): the simulator reads
/// none, and a run measured is the same run, event for event, as one that is not.
public struct SimulationCost: Sendable {
    public enum Phase: Int, CaseIterable, Sendable {
        /// The first `SimulationOptions.steps` events, while faults are injected.
        case faults
        /// After the faults stop, until the cluster settles.
        case calm
    }

    public enum Kind: Int, CaseIterable, Sendable {
        case peerCall, peerAnswer, message, timer, sync, submit, read, deadline, crash, restart, partition, contend,
             snapshot, compaction

        init(_ event: SimulationEvent) {
            switch event {
            case .peerCall: self = .peerCall
            case .peerAnswer: self = .peerAnswer
            case .deliver: self = .message
            case .timer: self = .timer
            case .syncDone: self = .sync
            case .submit: self = .submit
            case .read: self = .read
            case .deadline: self = .deadline
            case .crashSomeNode, .crashDuringInstall, .crashBeforeSynced: self = .crash
            case .restart: self = .restart
            case .partitionStart, .partitionHeal: self = .partition
            case .contend: self = .contend
            case .snapshotArrives, .snapshotChunkSynced, .snapshotStored: self = .snapshot
            case .compactionDue: self = .compaction
            }
        }

        public var name: String {
            switch self {
            case .peerCall: "peer call"
            case .peerAnswer: "peer answer"
            case .message: "message alone"
            case .timer: "timer"
            case .sync: "fsync done"
            case .submit: "submit"
            case .read: "read"
            case .deadline: "client deadline"
            case .crash: "crash"
            case .restart: "restart"
            case .partition: "partition"
            case .contend: "contend"
            case .snapshot: "snapshot transfer"
            case .compaction: "snapshot point"
            }
        }
    }

    /// Indexed `phase * Kind.allCases.count + kind`.
    private var events: [Int]
    private var nanoseconds: [UInt64]
    /// Instances chosen in each phase.
    public private(set) var decisions: [Int]

    public init() {
        events = Array(repeating: 0, count: Phase.allCases.count * Kind.allCases.count)
        nanoseconds = events.map { _ in 0 }
        decisions = Phase.allCases.map { _ in 0 }
    }

    mutating func add(_ kind: Kind, in phase: Phase, nanoseconds spent: UInt64) {
        let slot = phase.rawValue * Kind.allCases.count + kind.rawValue
        events[slot] += 1
        nanoseconds[slot] += spent
    }

    mutating func setDecisions(_ count: Int, in phase: Phase) { decisions[phase.rawValue] = count }

    public mutating func add(_ other: SimulationCost) {
        for slot in events.indices {
            events[slot] += other.events[slot]
            nanoseconds[slot] += other.nanoseconds[slot]
        }
        for phase in decisions.indices { decisions[phase] += other.decisions[phase] }
    }

    public func events(_ kind: Kind, in phase: Phase) -> Int { events[phase.rawValue * Kind.allCases.count + kind.rawValue] }

    public func nanoseconds(_ kind: Kind, in phase: Phase) -> UInt64 {
        nanoseconds[phase.rawValue * Kind.allCases.count + kind.rawValue]
    }

    public func events(in phase: Phase) -> Int { Kind.allCases.reduce(0) { $0 + events($1, in: phase) } }

    public func nanoseconds(in phase: Phase) -> UInt64 { Kind.allCases.reduce(0) { $0 + nanoseconds($1, in: phase) } }

    /// One row per kind that happened: events, microseconds per event and share of all the time
    /// measured, in each phase; then each phase's totals and decisions.
    public func table() -> String {
        let total = max(1, Phase.allCases.reduce(0) { $0 + nanoseconds(in: $1) })
        func cells(_ count: Int, _ spent: UInt64) -> String {
            let perEvent = count == 0 ? 0 : Double(spent) / Double(count) / 1_000
            return " " + String(count).leftPadded(to: 8) + " " + formatDecimal(perEvent, places: 2).leftPadded(to: 9)
                + " " + (formatDecimal(Double(spent) * 100 / Double(total), places: 1) + "%").leftPadded(to: 7)
        }
        let columns = " " + "events".leftPadded(to: 8) + " " + "µs/event".leftPadded(to: 9) + " " + "share".leftPadded(to: 7)
        var lines = ["  " + "".rightPadded(to: 18) + "faults phase".leftPadded(to: 27) + "  " + "calm phase".leftPadded(to: 27),
                     "  " + "event".rightPadded(to: 18) + columns + "  " + columns]
        for kind in Kind.allCases where Phase.allCases.contains(where: { events(kind, in: $0) > 0 }) {
            lines.append("  " + kind.name.rightPadded(to: 18)
                         + Phase.allCases.map { cells(events(kind, in: $0), nanoseconds(kind, in: $0)) }.joined(separator: "  "))
        }
        lines.append("  " + "all".rightPadded(to: 18)
                     + Phase.allCases.map { cells(events(in: $0), nanoseconds(in: $0)) }.joined(separator: "  "))
        let perPhase = Phase.allCases.map { phase -> String in
            let seconds = Double(nanoseconds(in: phase)) / 1e9
            let rate = seconds > 0 ? Int((Double(decisions[phase.rawValue]) / seconds).rounded()) : 0
            return "\(phase == .faults ? "faults" : "calm") phase \(decisions[phase.rawValue]) decisions (\(rate)/s of its time)"
        }
        lines.append("  decisions: " + perPhase.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }
}
