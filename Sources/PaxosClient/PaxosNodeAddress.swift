/// Where one node of a cluster answers XML-RPC: a host and a port.
public struct PaxosNodeAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` (the last colon separates the port, so `::1:8000` works too).
    public init(parsing text: String) throws(PaxosAddressError) {
        guard let colon = text.lastIndex(of: ":"), colon != text.startIndex,
              let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
            throw PaxosAddressError(text: text)
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.init(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A node address that is not `HOST:PORT`.
public struct PaxosAddressError: Error, Sendable, CustomStringConvertible {
    public var text: String
    public var description: String { "a node address must be HOST:PORT with a port of 1-65535, for example 127.0.0.1:8000 (got '\(text)')" }
}
