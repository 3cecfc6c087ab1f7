import Foundation
import SequenceDiagram
import XMLRPC

/// Collects what every node observed (protocol steps and delivered messages) while a scenario
/// runs, prints each step as it happens, and turns the messages into a sequence diagram.
actor EventRecorder {
    struct Event: Sendable {
        var node: Int          // index of the node that observed it
        var sequence: Int
        var timeNanoseconds: UInt64
        var kind: String       // "step" or "message"
        var type: String
        var step: Int
        var text: String
        var from: Int          // node id
        var to: Int            // node id
        var instance: Int
    }

    private let cluster: LabCluster
    private let print: @Sendable (String) -> Void
    private var seen: [Int]
    private var poller: Task<Void, Never>?
    private var finished = false
    private var polling: Task<Void, any Error>?
    /// Steps are printed once they are this old, so that a step fetched late from one node
    /// still prints before later steps of another.
    static let settleNanoseconds: UInt64 = 60_000_000
    private var events: [Event] = []
    private var printedUpTo = 0
    let instance: Int

    init(cluster: LabCluster, instance: Int, print: @escaping @Sendable (String) -> Void) {
        self.cluster = cluster
        self.instance = instance
        self.print = print
        self.seen = Array(repeating: 0, count: cluster.nodes.count)
    }

    /// Skips everything observed so far (what happened before the scenario).
    func skipPast() async throws {
        for node in cluster.nodes.indices {
            let events = try await cluster.call(node, "admin.events", [.int(0)]).arrayValue ?? []
            let last = events.last?.structValue?["sequence"]?.intValue ?? 0
            seen[node] = last
        }
    }

    /// Polls every 20 ms until `finish`.
    func start() {
        poller = Task {
            while !Task.isCancelled {
                try? await self.poll(flush: false)
                try? await Task.sleep(nanoseconds: 20_000_000)
            }
        }
    }

    /// Stops polling, fetches what is left, and prints every remaining step. Once only.
    func finish() async throws {
        guard !finished else { return }
        finished = true
        poller?.cancel()
        await poller?.value
        poller = nil
        try await poll(flush: true)
    }

    /// Fetches new events from every node and prints the new steps of this instance in time
    /// order. Polls run one at a time: an actor lets a second call in at every `await`, and two
    /// interleaved polls would fetch (and record) the same events twice.
    func poll(flush: Bool = true) async throws {
        let previous = polling
        let task = Task {
            _ = try? await previous?.value
            try await self.pollOnce(flush: flush)
        }
        polling = task
        try await task.value
    }

    private func pollOnce(flush: Bool) async throws {
        var fresh: [Event] = []
        for node in cluster.nodes.indices {
            let after = seen[node]
            let values = try await cluster.call(node, "admin.events", [.int(after)]).arrayValue ?? []
            for value in values {
                guard let s = value.structValue else { continue }
                let event = Event(
                    node: node, sequence: s["sequence"]?.intValue ?? 0,
                    timeNanoseconds: UInt64(s["time"]?.stringValue ?? "") ?? 0,
                    kind: s["kind"]?.stringValue ?? "", type: s["type"]?.stringValue ?? "",
                    step: s["step"]?.intValue ?? 0, text: s["text"]?.stringValue ?? "",
                    from: s["from"]?.intValue ?? 0, to: s["to"]?.intValue ?? 0, instance: s["instance"]?.intValue ?? 0)
                fresh.append(event)
                seen[node] = max(seen[node], event.sequence)
            }
        }
        events.append(contentsOf: fresh)
        events.sort { ($0.timeNanoseconds, $0.node, $0.sequence) < ($1.timeNanoseconds, $1.node, $1.sequence) }
        // Print only the steps (messages are what the diagram draws), oldest first.
        let settled = flush ? UInt64.max : Self.nowNanoseconds() &- Self.settleNanoseconds
        let steps = events.filter {
            ($0.kind == "narration" || ($0.kind == "step" && $0.instance == instance)) && $0.timeNanoseconds <= settled
        }
        let toPrint = Array(steps.dropFirst(printedUpTo))
        printedUpTo = max(printedUpTo, steps.count)
        for event in toPrint {
            if event.kind == "narration" {
                print("— \(event.text)")
                continue
            }
            let name = cluster.nodes[event.node].name
            print("  \(name.padding(toLength: 3, withPad: " ", startingAt: 0)) step \(event.step)  \(Self.withNodeNames(event.text))")
        }
    }

    /// A line of the script, printed in time order with the steps it causes.
    func narrate(_ text: String) {
        events.append(Event(node: -1, sequence: 0, timeNanoseconds: Self.nowNanoseconds(), kind: "narration", type: "",
                            step: 0, text: text, from: 0, to: 0, instance: instance))
    }

    static func nowNanoseconds() -> UInt64 {
        UInt64(Date().timeIntervalSince1970 * 1_000_000_000)
    }

    /// "promise 4.5 to 5" reads better as "promise 4.5 to S5".
    static func withNodeNames(_ text: String) -> String {
        var out = text
        for word in [" to ", " for ", " from "] {
            var result = ""
            var rest = Substring(out)
            while let range = rest.range(of: word) {
                result += rest[..<range.upperBound]
                rest = rest[range.upperBound...]
                let digits = rest.prefix { $0.isNumber }
                if !digits.isEmpty && (rest.dropFirst(digits.count).first.map { $0 == "," || $0 == " " } ?? true) {
                    result += "S"
                }
            }
            out = result + rest
        }
        return out
    }

    /// Steps of `type` observed on a node (by index), for counting rounds.
    func steps(_ type: String, on node: Int? = nil) -> [Event] {
        events.filter { $0.kind == "step" && $0.type == type && $0.instance == instance && (node == nil || $0.node == node!) }
    }

    /// The messages of this instance as arrows, in the order they were delivered, with the
    /// decisions marked on the lifeline where they happened.
    func diagram(title: String) -> SequenceDiagram {
        var diagram = SequenceDiagram(title: title, participants: cluster.nodes.map(\.name))
        let index = Dictionary(uniqueKeysWithValues: cluster.nodes.map { ($0.id, $0.index) })
        let relevant = events.filter { $0.instance == instance }
        for event in relevant {
            if event.kind == "message", let from = index[event.from], let to = index[event.to] {
                let style: SequenceDiagram.ArrowStyle
                switch event.type {
                case "nack": style = .refusal
                case "promise", "accepted": style = .answer
                default: style = .request
                }
                diagram.message(from: from, to: to, label: event.text, style: style)
            } else if event.kind == "step" && event.type == "chosen" {
                let value = event.text.components(separatedBy: "chosen ").last?.components(separatedBy: " in ballot").first ?? ""
                diagram.note(on: event.node, text: "chosen \(value)", style: .chosen)
            }
        }
        return diagram
    }
}
