/// Why storage refused or failed. Every message names the file (and the offset, for damaged
/// records) so an operator can act on it without reading code.
public struct StorageError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// A record before the tail of the log is damaged, or a record cannot be understood.
        case corruption
        /// The operating system refused an operation (open, write, fsync, rename...).
        case io
        /// A record is larger than `WALFormat.recordPayloadBytesMax`.
        case recordTooLarge
        /// An earlier write or fsync failed; the log refuses further use (see GroupCommitLog).
        case logFailed
        /// The log or file was closed.
        case closed
        /// A snapshot file or chunk that fails its checks (checksum, header, offset, size).
        case invalidSnapshot
    }

    public var kind: Kind
    /// The file concerned, if any.
    public var path: String?
    /// The byte offset in `path` of the damaged record, for `.corruption`.
    public var offset: Int?
    /// The operating system's error number, for `.io`.
    public var errorNumber: Int32?
    public var description: String

    public init(kind: Kind, path: String? = nil, offset: Int? = nil, errorNumber: Int32? = nil, description: String) {
        self.kind = kind
        self.path = path
        self.offset = offset
        self.errorNumber = errorNumber
        self.description = description
    }

    /// A damaged record that cannot be a torn tail: the node must not start (DESIGN.md section 4).
    static func corruptRecord(path: String, offset: Int, reason: String) -> StorageError {
        StorageError(
            kind: .corruption, path: path, offset: offset,
            description: "corrupt record in \(path) at offset \(offset): \(reason) "
                + "(refusing to start; the log was damaged before its last record)")
    }

    /// A record whose checksum is good but whose content this version cannot read: never skip it.
    static func unreadableRecord(path: String, offset: Int, reason: String) -> StorageError {
        StorageError(
            kind: .corruption, path: path, offset: offset,
            description: "unreadable record in \(path) at offset \(offset): \(reason) "
                + "(refusing to start; the checksum is valid, so this is not a torn write)")
    }

    static func io(_ operation: String, path: String, errorNumber: Int32, message: String) -> StorageError {
        StorageError(
            kind: .io, path: path, errorNumber: errorNumber,
            description: "\(operation) \(path) failed: \(message) (errno \(errorNumber))")
    }
}
