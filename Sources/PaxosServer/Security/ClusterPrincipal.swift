/// Who may sign a call with the cluster secret: a member node, or an operator (the CLI's admin
/// commands, the lab, the benchmark), as the `X-Paxos-Sender` header names them.
public enum ClusterPrincipal: Hashable, Sendable, CustomStringConvertible {
    case node(UInt32)
    case `operator`

    public var description: String {
        switch self {
        case .node(let id): return "node-\(id)"
        case .operator: return "operator"
        }
    }

    /// Parses `node-N` (N a plain decimal of at most 10 digits) or `operator`; anything else is nil.
    public init?(_ text: String) {
        if text == "operator" { self = .operator; return }
        guard text.hasPrefix("node-") else { return nil }
        let digits = text.dropFirst(5)
        guard (1...10).contains(digits.count), digits.allSatisfy(\.isASCII), let id = UInt32(digits), String(id) == digits
        else { return nil }
        self = .node(id)
    }
}
