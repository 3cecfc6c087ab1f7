import Foundation
import PaxosCore
import PaxosStorage
import Testing

/// One record of every kind, with edge values (zero, the largest numbers, a no-op, non-ASCII
/// text), so a round trip exercises every branch of the codec.
let everyKindOfRecord: [DurableRecord] = [
    .incarnation(1),
    .round(7),
    .promised(instance: 1, ballot: Ballot(round: 3, node: NodeID(1))),
    .accepted(instance: 1, proposal: AcceptedProposal(
        ballot: Ballot(round: 3, node: NodeID(1)),
        command: .value(CommandID(node: NodeID(1), incarnation: 1, sequence: 1), "hello"))),
    .accepted(instance: 2, proposal: AcceptedProposal(ballot: Ballot(round: 4, node: NodeID(2)), command: .noop)),
    .chosen(instance: 1, command: .value(CommandID(node: NodeID(1), incarnation: 1, sequence: 1), "hello")),
    .chosen(instance: 2, command: .noop),
    .chosen(instance: 3, command: .value(CommandID(node: NodeID(3), incarnation: 2, sequence: 9), "héllo wörld ✓ 🐟")),
    .promised(instance: .max, ballot: Ballot(round: .max, node: NodeID(.max))),
    .round(.max),
    .incarnation(.max),
    .promisedFrom(from: 1, ballot: Ballot(round: 5, node: NodeID(2))),
    .promisedFrom(from: .max, ballot: Ballot(round: .max, node: NodeID(.max))),
    .rejoinStarted(floor: 1_764_140_000_000_000),
    .rejoinStarted(floor: .max),
    .rejoinFenced(from: 3, ballot: Ballot(round: 1_764_140_000_000_001, node: NodeID(3))),
    .rejoinFenced(from: .max, ballot: Ballot(round: .max, node: NodeID(.max))),
]

/// A value record whose text identifies it, for order checks.
func chosenRecord(_ instance: InstanceNumber, _ text: String? = nil) -> DurableRecord {
    .chosen(instance: instance, command: .value(
        CommandID(node: NodeID(1), incarnation: 1, sequence: instance), text ?? "value \(instance)"))
}

/// The disks every log test runs on.
enum DiskKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case inMemory, posix
    var testDescription: String { rawValue }
}

/// A file system and a directory on it; a POSIX one lives in a fresh temporary directory that
/// `withDisk` deletes afterwards.
struct Disk {
    var fileSystem: any FileSystem
    /// Where the log and files go (does not exist yet: opening must create it).
    var directory: String
    /// The first segment of the log, where a log that never rolled over keeps all its records.
    var walPath: String { firstSegmentPath(directory) }
}

func withDisk<Result>(_ kind: DiskKind, _ body: (Disk) throws -> Result) throws -> Result {
    switch kind {
    case .inMemory:
        return try body(Disk(fileSystem: InMemoryFileSystem(), directory: "/data/node1"))
    case .posix:
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        return try body(Disk(fileSystem: PosixFileSystem(), directory: root + "/node1"))
    }
}

func withDisk<Result>(_ kind: DiskKind, _ body: (Disk) async throws -> Result) async throws -> Result {
    switch kind {
    case .inMemory:
        return try await body(Disk(fileSystem: InMemoryFileSystem(), directory: "/data/node1"))
    case .posix:
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        return try await body(Disk(fileSystem: PosixFileSystem(), directory: root + "/node1"))
    }
}

func makeTemporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.path + "/paxos-storage-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The path of segment 1 of the log in `directory`.
func firstSegmentPath(_ directory: String) -> String {
    FilePaths.join(FilePaths.join(directory, WALSegmentNames.directoryName), WALSegmentNames.fileName(sequence: 1))
}

/// Writes `records` to a fresh log, one append and one sync each, and returns the offset at
/// which each record starts plus the final size.
@discardableResult
func writeLog(_ records: [DurableRecord], on disk: Disk) throws -> (offsets: [Int], size: Int) {
    let (log, _) = try PaxosLog.open(directory: disk.directory, fileSystem: disk.fileSystem)
    defer { log.close() }
    var offsets: [Int] = []
    for record in records {
        offsets.append(log.size)
        try log.append([record])
        try log.sync()
    }
    return (offsets, log.size)
}

/// Flips every bit of one byte of a real file, as a bad sector would.
func flipByteOnDisk(path: String, offset: Int) throws {
    let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: UInt64(offset))
    guard let original = try handle.read(upToCount: 1)?.first else { throw CocoaError(.fileReadUnknown) }
    try handle.seek(toOffset: UInt64(offset))
    try handle.write(contentsOf: Data([original ^ 0xFF]))
    try handle.synchronize()
}

/// Flips a byte on either kind of disk.
func flipByte(on disk: Disk, path: String, offset: Int) throws {
    if let memory = disk.fileSystem as? InMemoryFileSystem {
        memory.flipByte(path: path, offset: offset)
    } else {
        try flipByteOnDisk(path: path, offset: offset)
    }
}

/// A small deterministic generator (SplitMix64) so the garbage tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Whether every byte is zero, a word at a time: tests check the preallocated megabyte after a
/// cut, and the unoptimized test build would otherwise run a closure per byte of it, dozens of
/// times per test, on one of the few threads the whole suite shares.
func isAllZeros(_ bytes: ArraySlice<UInt8>) -> Bool {
    bytes.withUnsafeBytes { raw in
        var offset = 0
        while offset + 8 <= raw.count {
            if raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self) != 0 { return false }
            offset += 8
        }
        while offset < raw.count {
            if raw[offset] != 0 { return false }
            offset += 1
        }
        return true
    }
}
