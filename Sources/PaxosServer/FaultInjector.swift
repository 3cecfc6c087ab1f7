import PaxosCore

/// The fault-injection filter of a node: rules that drop or hold the node's outgoing messages
/// (its messages to itself included) when they match a pattern. The lab's scenarios use it to
/// make the lecture's exact interleaving happen on real processes, instead of sleeping and
/// hoping. Held messages stay here until released (then they are sent) or cleared.
public struct FaultInjector: Sendable {
    public enum Action: String, Sendable, CaseIterable {
        case drop
        case hold
    }

    public struct Rule: Hashable, Sendable {
        public var id: Int
        public var action: Action
        public var to: NodeID?
        /// A message kind as `Message.kind` names it: prepare, promise, accept, accepted, nack, learn, ...
        public var type: String?
        public var instance: InstanceNumber?

        func matches(_ message: Message, to destination: NodeID) -> Bool {
            if let to, to != destination { return false }
            if let type, type != message.kind { return false }
            if let instance, instance != message.instance { return false }
            return true
        }
    }

    static let rulesMax = 256
    static let heldMessagesMax = 10_000

    private(set) var rules: [Rule] = []
    private(set) var held: [(rule: Int, envelope: Envelope)] = []
    private var nextRuleID = 1
    private(set) var droppedCount = 0

    var isEmpty: Bool { rules.isEmpty }

    mutating func add(action: Action, to: NodeID?, type: String?, instance: InstanceNumber?) -> Int? {
        guard rules.count < Self.rulesMax else { return nil }
        let rule = Rule(id: nextRuleID, action: action, to: to, type: type, instance: instance)
        nextRuleID += 1
        rules.append(rule)
        return rule.id
    }

    /// Whether the message may leave now; a dropped or held one is taken care of here.
    mutating func admit(_ envelope: Envelope) -> Bool {
        guard let rule = rules.first(where: { $0.matches(envelope.message, to: envelope.to) }) else { return true }
        switch rule.action {
        case .drop:
            droppedCount += 1
        case .hold:
            if held.count < Self.heldMessagesMax {
                held.append((rule.id, envelope))
            } else {
                droppedCount += 1
            }
        }
        return false
    }

    /// Removes the rule (or every rule) and hands back what it held, in the order it was held.
    mutating func remove(rule id: Int?) -> [Envelope] {
        let released = held.filter { id == nil || $0.rule == id }.map(\.envelope)
        held.removeAll { id == nil || $0.rule == id }
        rules.removeAll { id == nil || $0.id == id }
        return released
    }

    /// Releases what a rule held but keeps the rule.
    mutating func release(rule id: Int?) -> [Envelope] {
        let released = held.filter { id == nil || $0.rule == id }.map(\.envelope)
        held.removeAll { id == nil || $0.rule == id }
        return released
    }

    mutating func clear() {
        rules.removeAll()
        held.removeAll()
    }
}
