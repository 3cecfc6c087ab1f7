import CRC32CHardware

/// CRC-32C (Castagnoli), the checksum of every WAL record.
///
/// Castagnoli's polynomial 0x1EDC6F41, used here in its reflected form 0x82F63B78, detects more
/// error patterns in short records than the IEEE CRC-32 polynomial, which is why iSCSI, ext4
/// metadata and most write-ahead logs use it. Parameters: reflected input and output, initial
/// value 0xFFFFFFFF, final XOR 0xFFFFFFFF. Check value: crc32c("123456789") == 0xE3069283.
///
/// The WAL checksums every byte it writes and reads, so this is on the hot path: where the
/// processor has a CRC-32C instruction (x86-64 with SSE 4.2, ARMv8 with CRC), it does the work
/// (the `CRC32CHardware` C target). Elsewhere, slicing-by-8: eight 256-entry tables let the
/// loop consume eight bytes per step instead of one.
public enum CRC32C {
    /// The reflected Castagnoli polynomial.
    public static let reflectedPolynomial: UInt32 = 0x82F6_3B78

    private static let tableCount = 8
    private static let tableSize = 256

    /// `tables[k * 256 + b]`: the CRC of byte `b` followed by `k` zero bytes.
    private static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: tableCount * tableSize)
        for byte in 0..<tableSize {
            var crc = UInt32(byte)
            for _ in 0..<8 {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ reflectedPolynomial : crc >> 1
            }
            tables[byte] = crc
        }
        for slice in 1..<tableCount {
            for byte in 0..<tableSize {
                let previous = tables[(slice - 1) * tableSize + byte]
                tables[slice * tableSize + byte] = (previous >> 8) ^ tables[Int(previous & 0xFF)]
            }
        }
        return tables
    }()

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        update(0, with: bytes)
    }

    /// Continues `crc` (a finished checksum of earlier bytes) over `bytes`, so that
    /// `update(checksum(a), with: b) == checksum(a + b)`.
    public static func update(_ crc: UInt32, with bytes: some Collection<UInt8>) -> UInt32 {
        if let result = bytes.withContiguousStorageIfAvailable({ update(crc, buffer: UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(bytes).withUnsafeBytes { update(crc, buffer: $0) }
    }

    /// Whether this processor's CRC-32C instruction does the work.
    public static let usesHardware = crc32c_hardware_available() != 0

    /// Continues `crc` over raw memory.
    public static func update(_ crc: UInt32, buffer: UnsafeRawBufferPointer) -> UInt32 {
        guard usesHardware, let base = buffer.baseAddress else { return portableUpdate(crc, buffer: buffer) }
        return ~crc32c_hardware_update(~crc, base.assumingMemoryBound(to: UInt8.self), buffer.count)
    }

    /// The table-driven computation, whatever the processor: the fallback, and the reference
    /// the hardware path is tested against.
    public static func portableUpdate(_ crc: UInt32, buffer: UnsafeRawBufferPointer) -> UInt32 {
        tables.withUnsafeBufferPointer { table in
            var state = ~crc
            var index = 0
            let count = buffer.count
            while count - index >= 8 {
                let low = state ^ (UInt32(buffer[index])
                    | UInt32(buffer[index + 1]) << 8
                    | UInt32(buffer[index + 2]) << 16
                    | UInt32(buffer[index + 3]) << 24)
                state = table[7 * 256 + Int(low & 0xFF)]
                    ^ table[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ table[5 * 256 + Int((low >> 16) & 0xFF)]
                    ^ table[4 * 256 + Int(low >> 24)]
                    ^ table[3 * 256 + Int(buffer[index + 4])]
                    ^ table[2 * 256 + Int(buffer[index + 5])]
                    ^ table[1 * 256 + Int(buffer[index + 6])]
                    ^ table[Int(buffer[index + 7])]
                index += 8
            }
            while index < count {
                state = (state >> 8) ^ table[Int((state ^ UInt32(buffer[index])) & 0xFF)]
                index += 1
            }
            return ~state
        }
    }
}
