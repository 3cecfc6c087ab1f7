import PaxosCore

/// The payload of a WAL record: one `DurableRecord` in a compact binary form.
///
/// Layout (integers little-endian):
///
///     version: u8 (= 1)   kind: u8   fields of the kind
///     promised    = 1: instance u64, ballot
///     accepted    = 2: instance u64, ballot, command
///     chosen      = 3: instance u64, command
///     round       = 4: round u64
///     incarnation = 5: incarnation u64
///     promisedFrom = 6: from u64, ballot (a promise for every instance from `from` on)
///     compacted   = 7: through u64, file bytes u64 (a snapshot point)
///     appliedCommand = 8: command id, instance u64 (the applied state's table)
///     rejoinStarted = 9: floor u64 (rebuilt from an empty directory, see `Rejoin`)
///     rejoinFenced  = 10: from u64, ballot (the rebuilt node's promise once every member granted it)
///     ballot  = round u64, node u32
///     command id = node u32, incarnation u64, sequence u64
///     command = tag u8: 0 no-op | 1 value: node u32, incarnation u64, sequence u64, text (u32 count + UTF-8)
///
/// The version byte comes first so a future format can be told apart from damage: a record
/// whose checksum is right but whose version is unknown is refused, never skipped.
public enum RecordCodec {
    public static let formatVersion: UInt8 = 1

    enum Kind: UInt8 {
        case promised = 1, accepted, chosen, round, incarnation, promisedFrom, compacted, appliedCommand, rejoinStarted, rejoinFenced
    }

    enum CommandTag: UInt8 {
        case noop = 0, value
    }

    public static func encode(_ record: DurableRecord) -> [UInt8] {
        let count = payloadCount(of: record)
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var writer = ByteWriter(into: UnsafeMutableRawBufferPointer(buffer))
            encode(record, into: &writer)
            precondition(writer.isFull, "record encoding fell short of its computed size")
            initialized = count
        }
    }

    /// How many bytes the payload of `record` takes: writers size their buffer with it.
    static func payloadCount(of record: DurableRecord) -> Int {
        let ballotCount = 12
        let head = 2     // version, kind
        switch record {
        case .promised, .promisedFrom, .rejoinFenced:
            return head + 8 + ballotCount
        case .accepted(_, let proposal):
            return head + 8 + ballotCount + count(of: proposal.command)
        case .chosen(_, let command):
            return head + 8 + count(of: command)
        case .round, .incarnation, .rejoinStarted:
            return head + 8
        case .compacted:
            return head + 8 + 8
        case .appliedCommand:
            return head + 20 + 8
        }
    }

    private static func count(of command: Command) -> Int {
        switch command {
        case .noop: return 1
        case .value(_, let text): return 1 + 4 + 8 + 8 + ByteWriter.count(of: text)
        }
    }

    /// Writes the payload of `record` (`payloadCount(of:)` bytes) at the writer's offset.
    static func encode(_ record: DurableRecord, into writer: inout ByteWriter) {
        writer.write(formatVersion)
        switch record {
        case .promised(let instance, let ballot):
            writer.write(Kind.promised.rawValue)
            writer.write(instance)
            write(ballot, to: &writer)
        case .accepted(let instance, let proposal):
            writer.write(Kind.accepted.rawValue)
            writer.write(instance)
            write(proposal.ballot, to: &writer)
            write(proposal.command, to: &writer)
        case .chosen(let instance, let command):
            writer.write(Kind.chosen.rawValue)
            writer.write(instance)
            write(command, to: &writer)
        case .round(let round):
            writer.write(Kind.round.rawValue)
            writer.write(round)
        case .incarnation(let incarnation):
            writer.write(Kind.incarnation.rawValue)
            writer.write(incarnation)
        case .promisedFrom(let from, let ballot):
            writer.write(Kind.promisedFrom.rawValue)
            writer.write(from)
            write(ballot, to: &writer)
        case .rejoinStarted(let floor):
            writer.write(Kind.rejoinStarted.rawValue)
            writer.write(floor)
        case .rejoinFenced(let from, let ballot):
            writer.write(Kind.rejoinFenced.rawValue)
            writer.write(from)
            write(ballot, to: &writer)
        case .compacted(let through, let fileBytes):
            writer.write(Kind.compacted.rawValue)
            writer.write(through)
            writer.write(fileBytes)
        case .appliedCommand(let id, let instance):
            writer.write(Kind.appliedCommand.rawValue)
            write(id, to: &writer)
            writer.write(instance)
        }
    }

    public static func decode(_ payload: ArraySlice<UInt8>) throws(RecordDecodingError) -> DurableRecord {
        // (The slice's `withUnsafeBytes` does not pass a typed error through: a Result carries it.)
        try payload.withUnsafeBytes { bytes in Result { () throws(RecordDecodingError) in try decode(bytes) } }.get()
    }

    /// Decodes the payload in `bytes`, which must hold exactly one record.
    static func decode(_ bytes: UnsafeRawBufferPointer) throws(RecordDecodingError) -> DurableRecord {
        var reader = ByteReader(bytes)
        let version = try reader.readByte("format version")
        guard version == formatVersion else {
            throw RecordDecodingError("format version \(version) is not supported (this build reads version \(formatVersion))")
        }
        let kindByte = try reader.readByte("record kind")
        guard let kind = Kind(rawValue: kindByte) else { throw RecordDecodingError("unknown record kind \(kindByte)") }
        let record: DurableRecord
        switch kind {
        case .promised:
            let instance = try reader.readUInt64("instance")
            record = .promised(instance: instance, ballot: try readBallot(&reader))
        case .accepted:
            let instance = try reader.readUInt64("instance")
            let ballot = try readBallot(&reader)
            record = .accepted(instance: instance, proposal: AcceptedProposal(ballot: ballot, command: try readCommand(&reader)))
        case .chosen:
            let instance = try reader.readUInt64("instance")
            record = .chosen(instance: instance, command: try readCommand(&reader))
        case .round:
            record = .round(try reader.readUInt64("round"))
        case .incarnation:
            record = .incarnation(try reader.readUInt64("incarnation"))
        case .promisedFrom:
            let from = try reader.readUInt64("first instance")
            record = .promisedFrom(from: from, ballot: try readBallot(&reader))
        case .rejoinStarted:
            record = .rejoinStarted(floor: try reader.readUInt64("rejoin floor"))
        case .rejoinFenced:
            let from = try reader.readUInt64("first instance")
            record = .rejoinFenced(from: from, ballot: try readBallot(&reader))
        case .compacted:
            let through = try reader.readUInt64("snapshot point")
            record = .compacted(through: through, fileBytes: try reader.readUInt64("file bytes"))
        case .appliedCommand:
            let id = try readCommandID(&reader)
            record = .appliedCommand(id, instance: try reader.readUInt64("instance"))
        }
        try reader.expectEnd()
        return record
    }

    private static func write(_ ballot: Ballot, to writer: inout ByteWriter) {
        writer.write(ballot.round)
        writer.write(ballot.node.rawValue)
    }

    private static func write(_ command: Command, to writer: inout ByteWriter) {
        switch command {
        case .noop:
            writer.write(CommandTag.noop.rawValue)
        case .value(let id, let text):
            writer.write(CommandTag.value.rawValue)
            write(id, to: &writer)
            writer.write(text)
        }
    }

    private static func write(_ id: CommandID, to writer: inout ByteWriter) {
        writer.write(id.node.rawValue)
        writer.write(id.incarnation)
        writer.write(id.sequence)
    }

    private static func readCommandID(_ reader: inout ByteReader) throws(RecordDecodingError) -> CommandID {
        let node = NodeID(try reader.readUInt32("command node"))
        let incarnation = try reader.readUInt64("command incarnation")
        return CommandID(node: node, incarnation: incarnation, sequence: try reader.readUInt64("command sequence"))
    }

    private static func readBallot(_ reader: inout ByteReader) throws(RecordDecodingError) -> Ballot {
        let round = try reader.readUInt64("ballot round")
        return Ballot(round: round, node: NodeID(try reader.readUInt32("ballot node")))
    }

    private static func readCommand(_ reader: inout ByteReader) throws(RecordDecodingError) -> Command {
        let tagByte = try reader.readByte("command tag")
        guard let tag = CommandTag(rawValue: tagByte) else { throw RecordDecodingError("unknown command tag \(tagByte)") }
        switch tag {
        case .noop:
            return .noop
        case .value:
            let id = try readCommandID(&reader)
            return .value(id, try reader.readString("command text"))
        }
    }
}
