/// The frames that bracket a checkpoint at the start of a segment (see PaxosLog.compact).
///
/// A checkpoint is only usable whole: recovery starts from it and ignores every older segment,
/// so a half-written one must be recognisable as such. The begin marker says how many records
/// follow, the end marker repeats it, and recovery uses the checkpoint only if both are there
/// with that many records between them.
///
/// Payload: tag u8 (0xCB, never a RecordCodec version, so an older build refuses the frame as an
/// unknown format instead of misreading it), kind u8 (1 begin, 2 end), record count u64 LE.
/// Framed like every record (length, CRC-32C), so a torn marker is a torn record.
enum CheckpointMarker: Equatable {
    case begin(recordCount: UInt64)
    case end(recordCount: UInt64)

    static let tag: UInt8 = 0xCB
    static let payloadBytes = 10

    private func appendPayload(to bytes: inout [UInt8]) {
        bytes.append(Self.tag)
        let count: UInt64
        switch self {
        case .begin(let recordCount): bytes.append(1); count = recordCount
        case .end(let recordCount): bytes.append(2); count = recordCount
        }
        for index in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: count >> (8 * UInt64(index)))) }
    }

    /// The marker in a frame's payload; nil if the payload is not a marker at all.
    /// Throws if it claims to be one but is not well formed.
    static func decode(_ payload: ArraySlice<UInt8>) throws(RecordDecodingError) -> CheckpointMarker? {
        guard payload.first == tag else { return nil }
        guard payload.count == payloadBytes else { throw RecordDecodingError("checkpoint marker of \(payload.count) bytes") }
        var count: UInt64 = 0
        for index in 0..<8 { count |= UInt64(payload[payload.startIndex + 2 + index]) << (8 * UInt64(index)) }
        switch payload[payload.startIndex + 1] {
        case 1: return .begin(recordCount: count)
        case 2: return .end(recordCount: count)
        case let kind: throw RecordDecodingError("unknown checkpoint marker kind \(kind)")
        }
    }

    /// A marker's whole frame: header and payload.
    static let frameBytes = WALFormat.headerBytes + payloadBytes

    /// Appends this marker's frame to `buffer`: written in place, the checksum over the bytes
    /// appended (no array for the payload, the length or the checksum).
    func appendFrame(to buffer: inout [UInt8]) {
        let start = buffer.count
        let length = UInt32(Self.payloadBytes)
        for index in 0..<4 { buffer.append(UInt8(truncatingIfNeeded: length >> (8 * UInt32(index)))) }
        for _ in 0..<4 { buffer.append(0) }
        appendPayload(to: &buffer)
        buffer.withUnsafeMutableBytes { bytes in
            let frame = UnsafeMutableRawBufferPointer(rebasing: bytes[start...])
            let checksum = CRC32C.update(
                CRC32C.update(0, buffer: UnsafeRawBufferPointer(rebasing: frame[0..<4])),
                buffer: UnsafeRawBufferPointer(rebasing: frame[WALFormat.headerBytes...]))
            frame.storeBytes(of: checksum.littleEndian, toByteOffset: 4, as: UInt32.self)
        }
    }
}
