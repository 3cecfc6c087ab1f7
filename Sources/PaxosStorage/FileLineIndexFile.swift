import PaxosCore

/// The replicated file's sparse index (FileLineIndex) saved next to it at each snapshot point,
/// so that a restart indexes only the lines after the point instead of reading the whole file:
/// start-up then costs the same at a million values as at a thousand.
///
/// Only a hint: it is used when its checksum holds and it ends exactly where the log's
/// checkpoint says the synced prefix ends (bytes and last instance); otherwise start-up scans
/// the file as before. So it needs no fsync of its own, and a torn, stale or missing one only
/// costs the scan.
///
/// Layout, little-endian: magic "PXLINDX1", stride, line count, byte count, last instance,
/// mark count (UInt64 each), then each mark's instance and offset, then the CRC32C of all that.
enum FileLineIndexFile {
    static let suffix = ".index"
    private static let magic = Array("PXLINDX1".utf8)

    static func path(forFile path: String) -> String { path + suffix }

    static func encode(_ index: FileLineIndex) -> [UInt8] {
        var bytes = magic
        bytes.reserveCapacity(magic.count + 8 * (5 + 2 * index.marks.count) + 4)
        func put(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        put(UInt64(index.stride))
        put(UInt64(index.lineCount))
        put(UInt64(index.byteCount))
        put(index.lastInstance ?? 0)
        put(UInt64(index.marks.count))
        for mark in index.marks {
            put(mark.instance)
            put(UInt64(mark.offset))
        }
        withUnsafeBytes(of: CRC32C.checksum(bytes).littleEndian) { bytes += $0 }
        return bytes
    }

    /// The index, or nil if the bytes are not a whole, intact index file.
    static func decode(_ bytes: [UInt8]) -> FileLineIndex? {
        let header = magic.count + 8 * 5
        guard bytes.count >= header + 4, Array(bytes.prefix(magic.count)) == magic else { return nil }
        let body = bytes.dropLast(4)
        let stored = bytes.suffix(4).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard CRC32C.checksum(body) == stored else { return nil }
        var position = magic.count
        func take() -> UInt64 {
            defer { position += 8 }
            return body[position..<(position + 8)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        }
        let stride = take(), lineCount = take(), byteCount = take(), lastInstance = take(), markCount = take()
        // Bounds first, so that the arithmetic below cannot overflow whatever the file says.
        guard stride > 0, stride <= 1 << 30, lineCount <= 1 << 48, byteCount <= 1 << 56,
              markCount == (lineCount + stride - 1) / stride,
              body.count == header + Int(markCount) * 16 else { return nil }
        var marks: [FileLineIndex.Mark] = []
        marks.reserveCapacity(Int(markCount))
        for _ in 0..<markCount {
            let instance = take(), offset = take()
            guard offset <= byteCount else { return nil }
            marks.append(FileLineIndex.Mark(instance: instance, offset: Int(offset)))
        }
        return FileLineIndex(stride: Int(stride), marks: marks, lineCount: Int(lineCount), byteCount: Int(byteCount),
                             lastInstance: lineCount == 0 ? nil : lastInstance)
    }
}
