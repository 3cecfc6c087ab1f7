import PaxosCore
import XMLRPC

/// A leader under load sends a peer many Accepts in one call, for consecutive instances in one
/// ballot, and the peer answers with as many Accepteds. On the wire such a run is one struct:
///
///     {type: "acceptRange", from: k, ballot, commands: [c_k, c_k+1, ...],
///      chosen: [{at: i, instances: [...]}, ...]}        (i: position in the run; only where not empty)
///     {type: "acceptedRange", from: k, through: n, ballot}
///
/// which says the same as the messages one by one (the decoder gives back exactly the messages
/// that were encoded, in their order) with the instance, the ballot and the type written once
/// instead of once per value: the XML that the receiving node must scan shrinks by about half
/// for Accepts and to one struct for Accepteds. A single message keeps its own struct.
enum MessageRuns {
    /// The call's messages as wire values, runs of two or more coalesced.
    static func encode(_ messages: [Message]) -> [XMLRPCValue] {
        var values: [XMLRPCValue] = []
        values.reserveCapacity(messages.count)
        var index = messages.startIndex
        while index < messages.endIndex {
            let end = runEnd(messages, from: index)
            if end - index >= 2 {
                values.append(encodeRun(messages[index..<end]))
            } else {
                values.append(MessageCoding.encode(messages[index]))
            }
            index = end
        }
        return values
    }

    /// Whether a wire value is a run (`expand` decodes it) rather than one message.
    static func isRun(_ value: XMLRPCValue) -> Bool {
        guard case .struct(let s) = value, case .string(let type)? = s["type"] else { return false }
        return type == "acceptRange" || type == "acceptedRange"
    }

    /// The messages of a run, at most `limit` of them (the room left in the call, at least 1).
    static func expand(_ value: XMLRPCValue, limit: Int) throws -> [Message] {
        precondition(limit > 0, "the caller checks that the call has room")
        guard case .struct(let s) = value, case .string(let type)? = s["type"] else {
            throw MessageCoding.DecodingError(description: "a peer message must be a struct with a string member 'type'")
        }
        let from = try MessageCoding.unsigned(s, "from")
        let ballot = try MessageCoding.ballot(s["ballot"])
        switch type {
        case "acceptedRange":
            let through = try MessageCoding.unsigned(s, "through")
            guard through >= from else {
                throw MessageCoding.DecodingError(description: "acceptedRange: 'through' (\(through)) is below 'from' (\(from))")
            }
            guard through - from < UInt64(limit) else {
                throw MessageCoding.DecodingError(description: "acceptedRange of \(through - from + 1) instances; room for \(limit) more messages in this call")
            }
            return (from...through).map { .accepted(instance: $0, ballot: ballot) }
        case "acceptRange":
            guard case .array(let items)? = s["commands"], !items.isEmpty else {
                throw MessageCoding.DecodingError(description: "acceptRange needs a non-empty array 'commands'")
            }
            guard items.count <= limit else {
                throw MessageCoding.DecodingError(description: "acceptRange of \(items.count) commands; room for \(limit) more messages in this call")
            }
            guard from <= UInt64(Int.max) - UInt64(items.count) else {
                throw MessageCoding.DecodingError(description: "acceptRange: instances past the largest int")
            }
            var chosen = [[InstanceNumber]](repeating: [], count: items.count)
            if let announced = s["chosen"] {
                guard case .array(let entries) = announced, entries.count <= items.count else {
                    throw MessageCoding.DecodingError(description: "acceptRange: 'chosen' must be an array of at most one entry per command")
                }
                for entry in entries {
                    guard case .struct(let e) = entry else {
                        throw MessageCoding.DecodingError(description: "acceptRange: a 'chosen' entry must be a struct {at, instances}")
                    }
                    let at = try MessageCoding.unsigned(e, "at")
                    guard at < UInt64(items.count), chosen[Int(at)].isEmpty else {
                        throw MessageCoding.DecodingError(description: "acceptRange: 'chosen' entry at \(at) is outside the run or repeated")
                    }
                    chosen[Int(at)] = try MessageCoding.instances(e, "instances")
                }
            }
            var messages: [Message] = []
            messages.reserveCapacity(items.count)
            for (position, item) in items.enumerated() {
                messages.append(.accept(instance: from + UInt64(position), ballot: ballot,
                                        command: try MessageCoding.command(item), chosen: chosen[position]))
            }
            return messages
        default:
            throw MessageCoding.DecodingError(description: "unknown run type '\(type)'")
        }
    }

    /// The end of the run that starts at `start`: the messages after it of its kind and ballot,
    /// each for the instance after the previous one's.
    private static func runEnd(_ messages: [Message], from start: Int) -> Int {
        var end = start + 1
        switch messages[start] {
        case .accept(var instance, let ballot, _, _):
            while end < messages.endIndex, case .accept(let next, ballot, _, _) = messages[end], next == instance &+ 1 {
                instance = next
                end += 1
            }
        case .accepted(var instance, let ballot):
            while end < messages.endIndex, case .accepted(let next, ballot) = messages[end], next == instance &+ 1 {
                instance = next
                end += 1
            }
        default:
            break
        }
        return end
    }

    private static func encodeRun(_ run: ArraySlice<Message>) -> XMLRPCValue {
        var s = XMLRPCStruct()
        switch run.first! {
        case .accept(let from, let ballot, _, _):
            s["type"] = "acceptRange"; s["from"] = .int(Int(from)); s["ballot"] = MessageCoding.encode(ballot)
            var commands: [XMLRPCValue] = []
            commands.reserveCapacity(run.count)
            var chosen: [XMLRPCValue] = []
            for (position, message) in run.enumerated() {
                guard case .accept(_, _, let command, let announced) = message else { preconditionFailure("a run of Accepts") }
                commands.append(MessageCoding.encode(command))
                if !announced.isEmpty {
                    var e = XMLRPCStruct()
                    e["at"] = .int(position); e["instances"] = .array(announced.map { .int(Int($0)) })
                    chosen.append(.struct(e))
                }
            }
            s["commands"] = .array(commands)
            if !chosen.isEmpty { s["chosen"] = .array(chosen) }
        case .accepted(let from, let ballot):
            guard case .accepted(let through, _) = run.last! else { preconditionFailure("a run of Accepteds") }
            s["type"] = "acceptedRange"; s["from"] = .int(Int(from)); s["through"] = .int(Int(through))
            s["ballot"] = MessageCoding.encode(ballot)
        default:
            preconditionFailure("only Accepts and Accepteds form runs")
        }
        return .struct(s)
    }
}
