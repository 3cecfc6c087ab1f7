import PaxosCore

/// The framing of the write-ahead log: each record is
///
///     length: u32 little-endian   (bytes of payload)
///     crc:    u32 little-endian   (CRC-32C of the 4 length bytes followed by the payload)
///     payload (RecordCodec)
///
/// The checksum covers the length too, so a damaged length is caught as a checksum mismatch
/// instead of silently re-framing the rest of the file.
public enum WALFormat {
    public static let headerBytes = 8
    /// The largest payload a record may have. Values are at most 64 KiB (DESIGN.md section 4);
    /// 1 MiB leaves room for larger limits and future batched records. A length above it in a
    /// file is damage or a torn tail, and is never used to size an allocation.
    public static let recordPayloadBytesMax = 1 << 20
    /// Version and kind bytes: nothing shorter can be a record.
    static let recordPayloadBytesMin = 2

    /// Appends the framed encoding of `record` to `buffer`.
    /// Checked before writing: an oversized record is refused, nothing is written.
    public static func appendFrame(of record: DurableRecord, to buffer: inout [UInt8]) throws(StorageError) {
        buffer += try frames(of: CollectionOfOne(record))
    }

    /// The framed encodings of `records`, one after the other, in one array allocated at its
    /// final size and written in place (no growth per field or per record). Checked before
    /// anything is encoded: if any record is oversized, this throws and nothing is produced.
    public static func frames(of records: some Collection<DurableRecord>) throws(StorageError) -> [UInt8] {
        let total = try framesByteCount(of: records)
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            writeFrames(of: records, into: UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[..<total])))
            initialized = total
        }
    }

    /// Encodes the frames of `records` at the start of `buffer`, which grows if it is too short,
    /// and returns their size: a log that appends many times reuses one buffer instead of
    /// allocating one per append. Checked as `frames(of:)` is: an oversized record throws
    /// before anything is written.
    static func encodeFrames(of records: some Collection<DurableRecord>, into buffer: inout [UInt8]) throws(StorageError) -> Int {
        let total = try framesByteCount(of: records)
        if buffer.count < total { buffer = [UInt8](repeating: 0, count: max(total, 2 * buffer.count)) }
        buffer.withUnsafeMutableBytes { writeFrames(of: records, into: UnsafeMutableRawBufferPointer(rebasing: $0[..<total])) }
        return total
    }

    /// Encodes the frames of `records` after the first `end` bytes of `buffer` (growing it as
    /// needed) and returns the new end: frames of several appends gathered for one write.
    static func encodeFrames(of records: some Collection<DurableRecord>, into buffer: inout [UInt8], after end: Int) throws(StorageError) -> Int {
        let total = try framesByteCount(of: records)
        if buffer.count < end + total { buffer += [UInt8](repeating: 0, count: max(end + total - buffer.count, buffer.count)) }
        buffer.withUnsafeMutableBytes { writeFrames(of: records, into: UnsafeMutableRawBufferPointer(rebasing: $0[end..<(end + total)])) }
        return end + total
    }

    private static func framesByteCount(of records: some Collection<DurableRecord>) throws(StorageError) -> Int {
        var total = 0
        for record in records {
            let payloadCount = RecordCodec.payloadCount(of: record)
            guard payloadCount <= recordPayloadBytesMax else {
                throw StorageError(
                    kind: .recordTooLarge,
                    description: "record of \(payloadCount) bytes exceeds the limit of \(recordPayloadBytesMax) bytes; nothing written")
            }
            total += headerBytes + payloadCount
        }
        return total
    }

    /// Fills `bytes`, exactly `framesByteCount(of: records)` long, with the frames of `records`.
    private static func writeFrames(of records: some Collection<DurableRecord>, into bytes: UnsafeMutableRawBufferPointer) {
        var start = 0
        for record in records {
            let end = start + headerBytes + RecordCodec.payloadCount(of: record)
            let frame = UnsafeMutableRawBufferPointer(rebasing: bytes[start..<end])
            var writer = ByteWriter(into: frame, at: headerBytes)
            RecordCodec.encode(record, into: &writer)
            precondition(writer.isFull, "record encoding fell short of its computed size")
            let payloadCount = UInt32(end - start - headerBytes)
            frame.storeBytes(of: payloadCount.littleEndian, toByteOffset: 0, as: UInt32.self)
            let checksum = CRC32C.update(
                CRC32C.update(0, buffer: UnsafeRawBufferPointer(rebasing: frame[0..<4])),
                buffer: UnsafeRawBufferPointer(rebasing: frame[headerBytes...]))
            frame.storeBytes(of: checksum.littleEndian, toByteOffset: 4, as: UInt32.self)
            start = end
        }
        precondition(start == bytes.count, "frames fell short of their computed size")
    }

    /// What lies at an offset of a log file.
    enum Frame: Equatable {
        /// A whole record whose checksum matches; the next one starts at `next`.
        case valid(payload: Range<Int>, next: Int)
        /// Not a valid record: a torn tail if nothing valid follows, else corruption.
        case invalid(reason: String)
    }

    static func frame(in bytes: [UInt8], at offset: Int) -> Frame {
        switch check(bytes, at: offset) {
        case .valid(let payload):
            return .valid(payload: payload, next: payload.upperBound)
        case .shortHeader(let available):
            return .invalid(reason: "incomplete record header (\(available) of \(headerBytes) bytes)")
        case .implausibleLength(let length):
            return .invalid(reason: "implausible record length \(length) (limits \(recordPayloadBytesMin)...\(recordPayloadBytesMax))")
        case .shortPayload(let available, let length):
            return .invalid(reason: "incomplete record (\(available) of \(length) payload bytes)")
        case .checksumMismatch(let stored, let computed):
            return .invalid(reason: "checksum mismatch (stored \(hex(stored)), computed \(hex(computed)))")
        }
    }

    /// Whether a valid record starts at `offset`: `frame(in:at:)` without the text of its
    /// reason, which searches for the next valid record ask of every candidate position.
    static func isValidFrame(in bytes: [UInt8], at offset: Int) -> Bool {
        if case .valid = check(bytes, at: offset) { return true }
        return false
    }

    /// What lies at `offset`, with what a reason needs in numbers rather than text.
    private enum Check {
        case valid(payload: Range<Int>)
        case shortHeader(available: Int)
        case implausibleLength(Int)
        case shortPayload(available: Int, length: Int)
        case checksumMismatch(stored: UInt32, computed: UInt32)
    }

    private static func check(_ bytes: [UInt8], at offset: Int) -> Check {
        let available = bytes.count - offset
        guard available >= headerBytes else { return .shortHeader(available: available) }
        let length = Int(readUInt32(bytes, at: offset))
        guard length >= recordPayloadBytesMin, length <= recordPayloadBytesMax else { return .implausibleLength(length) }
        guard available - headerBytes >= length else { return .shortPayload(available: available - headerBytes, length: length) }
        let stored = readUInt32(bytes, at: offset + 4)
        let payload = (offset + headerBytes)..<(offset + headerBytes + length)
        let computed = bytes.withUnsafeBytes { buffer in
            CRC32C.update(
                CRC32C.update(0, buffer: UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + 4)])),
                buffer: UnsafeRawBufferPointer(rebasing: buffer[payload]))
        }
        guard computed == stored else { return .checksumMismatch(stored: stored, computed: computed) }
        return .valid(payload: payload)
    }

    /// Whether a valid record starts anywhere after `offset`.
    ///
    /// This is what tells a torn tail from corruption. A crash can only damage what was written
    /// after the last fsync, and every reply waits for its fsync, so damage that nothing valid
    /// follows may be an unacknowledged torn write and is safe to drop. If a valid record follows
    /// damage, the damage hit bytes that were once followed by more writes: acknowledged data
    /// may be lost, and the node must not guess. Searching every byte position (not trusting the
    /// damaged length) finds the next record even when the damage is in a length field.
    ///
    /// The price of never guessing: if a disk persisted the pages of one unsynced multi-page
    /// write out of order (a hole, then a whole record), the node refuses to start although
    /// nothing acknowledged was lost; an operator then truncates the log at the named offset.
    /// Values cannot fake a frame inside a payload: a plausible length has a zero high byte, and
    /// values contain no NUL (DESIGN.md section 4).
    static func validFrameExists(in bytes: [UInt8], after offset: Int) -> Bool {
        var candidate = offset + 1
        while candidate + headerBytes <= bytes.count {
            if isValidFrame(in: bytes, at: candidate) { return true }
            candidate += 1
        }
        return false
    }

    private static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(bytes[offset + index]) << UInt32(8 * index) }
        return value
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}
