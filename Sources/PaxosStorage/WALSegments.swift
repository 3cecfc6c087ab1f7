/// Where the segments of the write-ahead log live and how big they get.
///
/// `<data-dir>/wal/<sequence>.wal`, the sequence a 16-digit decimal number that only grows (a
/// roll-over or a compaction starts the next one), so names sort in log order and an operator
/// reads the order from `ls`.
public struct WALOptions: Hashable, Sendable {
    /// A segment is closed and the next one started when an append would take it past this.
    /// (A single append larger than this still goes whole into one fresh segment.)
    public var segmentBytesMax: Int
    /// The writer keeps this much zero-filled, allocated space ahead of its position, extending it
    /// a step at a time up to `segmentBytesMax`. A step rather than the whole segment at once:
    /// one fdatasync per step pays for the new blocks, and neither recovery nor the in-memory
    /// disk of the simulator has to read or hold megabytes of zeros. 0 turns preallocation off.
    public var preallocationStepBytes: Int

    public static let defaultSegmentBytesMax = 64 << 20
    public static let defaultPreallocationStepBytes = 1 << 20

    public init(segmentBytesMax: Int = defaultSegmentBytesMax, preallocationStepBytes: Int = defaultPreallocationStepBytes) {
        precondition(segmentBytesMax > 0 && preallocationStepBytes >= 0, "WAL sizes must be positive")
        self.segmentBytesMax = segmentBytesMax
        self.preallocationStepBytes = preallocationStepBytes
    }
}

/// The names of segment files.
public enum WALSegmentNames {
    /// The directory of segments, inside the data directory.
    public static let directoryName = "wal"
    /// The single log file of versions before segments, migrated at open.
    public static let legacyFileName = "paxos.wal"
    static let suffix = ".wal"
    static let digits = 16

    public static func fileName(sequence: UInt64) -> String {
        let number = String(sequence)
        return String(repeating: "0", count: max(0, digits - number.count)) + number + suffix
    }

    /// The sequence of a segment's file name, or nil for any other file.
    public static func sequence(fileName: String) -> UInt64? {
        // Byte by byte when the name is stored contiguously (always, in practice): the same
        // answer as the character walk below, which a restart paid for every file it listed.
        if let sequence = fileName.utf8.withContiguousStorageIfAvailable({ bytes -> UInt64? in
            guard bytes.count == digits + 4, bytes[digits] == UInt8(ascii: "."), bytes[digits + 1] == UInt8(ascii: "w"),
                  bytes[digits + 2] == UInt8(ascii: "a"), bytes[digits + 3] == UInt8(ascii: "l") else { return nil }
            var value: UInt64 = 0
            for index in 0..<digits {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit <= 9 else { return nil }
                value = value * 10 + UInt64(digit)
            }
            return value
        }) {
            return sequence
        }
        guard fileName.hasSuffix(suffix) else { return nil }
        let number = fileName.dropLast(suffix.count)
        guard number.count == digits, number.allSatisfy({ $0 >= "0" && $0 <= "9" }) else { return nil }
        return UInt64(number)
    }

    /// The sequences of the segments in `directory`, ascending.
    static func sequences(in directory: String, fileSystem: any FileSystem) throws -> [UInt64] {
        guard fileSystem.exists(directory) else { return [] }
        return try fileSystem.listDirectory(directory).compactMap { sequence(fileName: $0) }.sorted()
    }
}
