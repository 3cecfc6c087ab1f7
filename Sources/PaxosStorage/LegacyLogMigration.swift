/// Moves the single `paxos.wal` of versions before segments into `wal/` as its first segment.
///
/// One rename, so the log is never in two halves. The new name is synced before the old one's
/// removal: a crash in between leaves the file under both names (the in-memory disk models this;
/// ext4 commits both directories in one transaction), and the next open sees a segment already
/// in `wal/` and drops the leftover name. The other order could lose both names.
enum LegacyLogMigration {
    /// Returns whether it moved a file.
    static func migrate(directory: String, walDirectory: String, fileSystem: any FileSystem) throws -> Bool {
        let legacy = FilePaths.join(directory, WALSegmentNames.legacyFileName)
        // A leftover of an admin reset of the old version interrupted before its rename.
        try fileSystem.remove(legacy + FilePaths.temporarySuffix)
        guard fileSystem.exists(legacy) else { return false }
        if try !WALSegmentNames.sequences(in: walDirectory, fileSystem: fileSystem).isEmpty {
            // Migrated before a crash that kept the old name too: the segment is the same file.
            try fileSystem.remove(legacy)
            try fileSystem.syncDirectory(directory)
            return false
        }
        try fileSystem.rename(legacy, to: FilePaths.join(walDirectory, WALSegmentNames.fileName(sequence: 1)))
        try fileSystem.syncDirectory(walDirectory)
        try fileSystem.syncDirectory(directory)
        return true
    }
}
