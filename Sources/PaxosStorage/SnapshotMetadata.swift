import PaxosCore

/// The applied state a snapshot carries beside the file's bytes (`Snapshot.metadata`): the
/// records of `PaxosNode.Compaction.snapshotMetadata`, a `compacted` point followed by the
/// table of applied commands, each as a 4-byte little-endian length and its `RecordCodec`
/// payload. The snapshot file's checksum covers these bytes; decoding still checks every
/// length and record, since a snapshot may come from a peer.
public enum SnapshotMetadata {
    /// One array at its final size, each record written in place after its length (an array
    /// per record, and the growth of the whole, were most of a snapshot point's allocations).
    public static func encode(_ records: [DurableRecord]) -> [UInt8] {
        let total = records.reduce(0) { $0 + 4 + RecordCodec.payloadCount(of: $1) }
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            var writer = ByteWriter(into: UnsafeMutableRawBufferPointer(buffer))
            for record in records {
                writer.write(UInt32(RecordCodec.payloadCount(of: record)))
                RecordCodec.encode(record, into: &writer)
            }
            precondition(writer.isFull, "snapshot metadata fell short of its computed size")
            initialized = total
        }
    }

    /// The records, or an error naming what is wrong. The first must be the snapshot point.
    public static func decode(_ bytes: [UInt8]) throws(RecordDecodingError) -> [DurableRecord] {
        var records: [DurableRecord] = []
        var offset = 0
        while offset < bytes.count {
            guard bytes.count - offset >= 4 else { throw RecordDecodingError("snapshot metadata ends inside a record length") }
            var count = 0
            for index in 0..<4 { count |= Int(bytes[offset + index]) << (8 * index) }
            offset += 4
            guard count >= 2, count <= bytes.count - offset else {
                throw RecordDecodingError("snapshot metadata holds a record of \(count) bytes with \(bytes.count - offset) left")
            }
            records.append(try RecordCodec.decode(bytes[offset..<(offset + count)]))
            offset += count
        }
        guard case .compacted? = records.first else { throw RecordDecodingError("snapshot metadata does not start with its snapshot point") }
        for record in records.dropFirst() {
            guard case .appliedCommand = record else { throw RecordDecodingError("snapshot metadata holds a \(record) record") }
        }
        return records
    }
}
