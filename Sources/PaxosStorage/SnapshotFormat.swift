/// The file of one snapshot: the state machine through instance k.
///
///     magic "PAXOSNAP" (8)  version u32  instance u64  metadata count u64  file count u64
///     metadata (opaque: the core's applied-state tables)
///     file bytes (the replicated file through instance k)
///     CRC-32C u32 of everything before it
///
/// Integers little-endian. One checksum over the whole, header included, so a torn file (short,
/// or zeros where data should be), a damaged one, or one whose parts were swapped fails the
/// check; the length fields must also add up to the file's size, and the instance must match
/// the file's name, so a snapshot renamed to another instance is refused too.
public enum SnapshotFormat {
    public static let magic = Array("PAXOSNAP".utf8)
    public static let version: UInt32 = 1
    public static let headerBytes = 8 + 4 + 8 + 8 + 8
    public static let trailerBytes = 4

    struct Header: Equatable {
        var instance: UInt64
        var metadataBytes: Int
        var fileBytes: Int
        var totalBytes: Int { SnapshotFormat.headerBytes + metadataBytes + fileBytes + SnapshotFormat.trailerBytes }
    }

    static func encode(_ header: Header) -> [UInt8] {
        var bytes = magic
        append(UInt64(version), bytes: 4, to: &bytes)
        append(header.instance, bytes: 8, to: &bytes)
        append(UInt64(header.metadataBytes), bytes: 8, to: &bytes)
        append(UInt64(header.fileBytes), bytes: 8, to: &bytes)
        return bytes
    }

    static func decode(_ bytes: [UInt8], path: String) throws(StorageError) -> Header {
        guard bytes.count >= headerBytes, Array(bytes[0..<8]) == magic else {
            throw invalid(path, "not a snapshot (bad magic or short header)")
        }
        let fileVersion = read(bytes, at: 8, bytes: 4)
        guard fileVersion == UInt64(version) else { throw invalid(path, "snapshot format version \(fileVersion) is not supported") }
        let metadata = read(bytes, at: 20, bytes: 8)
        let file = read(bytes, at: 28, bytes: 8)
        // Bounded before any arithmetic, so damaged lengths cannot overflow.
        guard metadata < 1 << 48, file < 1 << 48 else { throw invalid(path, "implausible lengths in the header") }
        return Header(instance: read(bytes, at: 12, bytes: 8), metadataBytes: Int(metadata), fileBytes: Int(file))
    }

    /// A whole snapshot file in memory: what `SnapshotStore.write` streams to the disk, for
    /// snapshots small enough to hold (the simulator's, tests').
    public static func image(instance: UInt64, metadata: [UInt8], fileBytes: [UInt8]) -> [UInt8] {
        var bytes = encode(Header(instance: instance, metadataBytes: metadata.count, fileBytes: fileBytes.count))
        bytes += metadata
        bytes += fileBytes
        bytes += trailer(CRC32C.update(0, with: bytes))
        return bytes
    }

    static func trailer(_ checksum: UInt32) -> [UInt8] {
        var bytes: [UInt8] = []
        append(UInt64(checksum), bytes: 4, to: &bytes)
        return bytes
    }

    static func checksum(inTrailer bytes: [UInt8]) -> UInt32 { UInt32(read(bytes, at: 0, bytes: 4)) }

    static func invalid(_ path: String, _ reason: String) -> StorageError {
        StorageError(kind: .invalidSnapshot, path: path, description: "snapshot \(path): \(reason)")
    }

    private static func append(_ value: UInt64, bytes count: Int, to bytes: inout [UInt8]) {
        for index in 0..<count { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
    }

    private static func read(_ bytes: [UInt8], at offset: Int, bytes count: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<count { value |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
        return value
    }
}
