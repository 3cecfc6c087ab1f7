import PaxosCore

/// The replicated file: a view of the applied instances, one line `<instance> <value>\n` each
/// (FileEntry.line), nothing else, so replicas compare with `cmp` (DESIGN.md section 4).
///
/// The WAL (and the newest snapshot) is the truth and this file only a rendering of it, so
/// appends need no fsync: after a crash, `rebuild` rewrites the file if it is behind or damaged.
/// Reads (`entries(from:limit:)`) come from the disk through a sparse index (FileLineIndex), so
/// the node keeps no line in memory.
public final class ReplicatedFile {
    public let path: String
    private let fileSystem: any FileSystem
    private var file: (any AppendableFile)?
    private var index: FileLineIndex
    /// Bytes read at once when scanning or serving reads.
    static let readChunkBytes = 1 << 20

    public init(path: String, fileSystem: any FileSystem, indexStride: Int = 1024) throws {  // (FileLineIndex.defaultStride)
        self.path = path
        self.fileSystem = fileSystem
        index = FileLineIndex(stride: indexStride)
        try fileSystem.createDirectory(FilePaths.parent(of: path))
    }

    /// The instance of the last line, nil if the file is empty.
    public var lastInstance: InstanceNumber? { index.lastInstance }
    /// The size of the file as written.
    public var byteCount: Int { index.byteCount }
    public var lineCount: Int { index.lineCount }

    /// At start-up, with the whole history in memory: if the file's bytes differ from the
    /// rendering of `entries` (behind, damaged, missing), rewrites it atomically. Returns whether
    /// it rewrote.
    @discardableResult
    public func rebuild(from entries: [FileEntry]) throws -> Bool {
        let expected = Self.render(entries, after: nil)
        closeFile()
        let current = fileSystem.exists(path) ? try fileSystem.readFile(path) : nil
        let rewrite = current != expected
        if rewrite { try fileSystem.replaceAtomically(path, with: expected) }
        try reopen()
        return rewrite
    }

    /// At start-up, when the log no longer holds every instance: the file must be the bytes of
    /// `snapshot`'s file (the lines through its instance) followed by the lines of `entries`
    /// (the applied instances above it, from the log). The prefix is trusted if the file is at
    /// least that long and the line ending there is the snapshot's instance: it was synced
    /// before the snapshot was taken (SnapshotStore.write), so a crash can only have damaged
    /// what follows. The rest is compared byte for byte; if anything differs, the file is
    /// rewritten from the snapshot and `entries`. Returns whether it rewrote.
    @discardableResult
    public func rebuild(snapshot: Snapshot?, store: SnapshotStore?, entries: [FileEntry]) throws -> Bool {
        guard let snapshot, let store else { return try rebuild(from: entries) }
        precondition(entries.first.map { $0.instance > snapshot.instance } ?? true, "entries must follow the snapshot")
        closeFile()
        let prefix = snapshot.fileByteCount
        let suffix = Self.render(entries, after: nil)
        if fileSystem.exists(path), try fileSystem.fileSize(path) == prefix + suffix.count,
           try prefixEnds(at: prefix, withInstance: snapshot.instance),
           try fileSystem.read(path, offset: prefix, count: suffix.count) == suffix {
            try reopen()
            return false
        }
        try replace(withSnapshot: snapshot, store: store, then: suffix)
        return true
    }

    /// At start-up after a snapshot point of this node's own (`DurableRecord.compacted`): the
    /// file's first `prefixBytes` bytes, its lines through `instance`, were synced before the
    /// log forgot them, and must be there; what follows is compared with the rendering of
    /// `entries` (the applied instances above, from the log) and rewritten if it differs.
    /// Throws if the prefix is missing or damaged: the node cannot restore it on its own.
    @discardableResult
    public func rebuild(prefixBytes prefix: Int, through instance: InstanceNumber, entries: [FileEntry]) throws -> Bool {
        closeFile()
        let suffix = Self.render(entries, after: nil)
        guard fileSystem.exists(path), try fileSystem.fileSize(path) >= prefix, try prefixEnds(at: prefix, withInstance: instance) else {
            throw damaged("its lines through instance \(instance) (the first \(prefix) bytes), which the log no longer holds, are missing or damaged; the node must be rebuilt from its peers")
        }
        if try fileSystem.fileSize(path) == prefix + suffix.count, try fileSystem.read(path, offset: prefix, count: suffix.count) == suffix {
            // The index saved at the point spares reading the prefix (FileLineIndexFile).
            try reopen(indexedPrefix: savedIndex(endingAt: prefix, instance: instance))
            return false
        }
        try replace(copying: path, offset: 0, count: prefix, then: suffix)
        return true
    }

    /// Installs a snapshot received from a peer: the file becomes the snapshot's file bytes,
    /// atomically (temporary file, fsync, rename, fsync directory), copied in bounded chunks.
    public func replace(withSnapshot snapshot: Snapshot, store: SnapshotStore) throws {
        try commit(replacement(copyingSnapshot: snapshot).prepare())
    }

    /// The same in two steps, for a node that must keep serving meanwhile: `prepare()` on the
    /// returned value copies (and indexes) the snapshot's file into the temporary file on any
    /// thread, touching nothing of this file; `commit` then takes it over in a moment.
    public func replacement(copyingSnapshot snapshot: Snapshot) -> Replacement {
        Replacement(path: path, fileSystem: fileSystem, indexStride: index.stride,
                    source: snapshot.path, offset: snapshot.fileBytesOffset, count: snapshot.fileByteCount, suffix: [])
    }

    /// Renames a prepared replacement over the file (then syncs the directory) and takes over
    /// its index: no scan of the new file.
    public func commit(_ prepared: PreparedReplacement) throws {
        precondition(prepared.path == path, "a replacement prepared for \(prepared.path), not \(path)")
        closeFile()
        try fileSystem.rename(prepared.temporaryPath, to: path)
        try fileSystem.syncDirectory(FilePaths.parent(of: path))
        index = prepared.index
        file = try fileSystem.openForAppending(path).file
    }

    /// Drops a prepared replacement that will not be committed.
    public func discard(_ prepared: PreparedReplacement) {
        try? fileSystem.remove(prepared.temporaryPath)
    }

    /// The same from bytes in memory (small files, tests).
    public func replace(withSnapshotBytes bytes: [UInt8]) throws {
        closeFile()
        try fileSystem.replaceAtomically(path, with: bytes)
        try reopen()
    }

    /// Appends lines for newly applied instances, which must follow the last line's instance.
    public func append(_ entries: [FileEntry]) throws {
        if entries.isEmpty { return }
        let bytes = Self.render(entries, after: index.lastInstance)
        let file = try openFile()
        try file.write(bytes)
        for entry in entries { index.addLine(instance: entry.instance, bytes: entry.line.utf8.count) }
    }

    /// Up to `limit` entries from instance `from` on, read from the disk.
    public func entries(from instance: InstanceNumber, limit: Int) throws -> [FileEntry] {
        try reader.entries(from: instance, limit: limit)
    }

    /// The size of the file's lines through `instance` (which must be a line of it): what a
    /// snapshot through `instance` copies.
    public func byteCount(through instance: InstanceNumber) throws -> Int {
        try reader.byteCount(through: instance)
    }

    /// The file as it is now, for reading on another thread while this one appends: the lines
    /// it covers never change (the file only grows; a snapshot install replaces it with one
    /// whose lines up to there are the same).
    public var reader: ReplicatedFileReader {
        ReplicatedFileReader(path: path, fileSystem: fileSystem, index: index)
    }

    /// fsync: before a snapshot is taken from the file (see `rebuild(snapshot:...)`).
    public func sync() throws { try openFile().sync() }

    /// Admin reset: the file becomes empty (atomically, so a crash leaves it old or empty).
    public func reset() throws {
        closeFile()
        try fileSystem.remove(FileLineIndexFile.path(forFile: path))
        try fileSystem.replaceAtomically(path, with: [])
        try reopen()
    }

    public func close() { closeFile() }

    /// The exact bytes of the file holding `entries`.
    public static func render(_ entries: [FileEntry]) -> [UInt8] { render(entries, after: nil) }

    /// The lines of a file's bytes (a snapshot's, say); nil if a line is not `<instance> <value>`
    /// or the bytes end inside a line.
    public static func entries(parsing bytes: [UInt8]) -> [FileEntry]? {
        let (lines, consumed) = FileLines.parse(bytes[...])
        guard consumed == bytes.count else { return nil }
        var entries: [FileEntry] = []
        entries.reserveCapacity(lines.count)
        for line in lines {
            guard let entry = line.entry else { return nil }
            entries.append(entry)
        }
        return entries
    }

    // MARK: Private

    private func replace(withSnapshot snapshot: Snapshot, store: SnapshotStore, then suffix: [UInt8]) throws {
        try replace(copying: snapshot.path, offset: snapshot.fileBytesOffset, count: snapshot.fileByteCount, then: suffix)
    }

    /// Atomically makes the file `count` bytes of `source` from `offset`, then `suffix`.
    private func replace(copying source: String, offset: Int, count: Int, then suffix: [UInt8]) throws {
        closeFile()
        try commit(Replacement(path: path, fileSystem: fileSystem, indexStride: index.stride,
                               source: source, offset: offset, count: count, suffix: suffix).prepare())
    }

    /// The index saved at a snapshot point, if it is intact, of this stride, and ends exactly at
    /// `offset` with the line of `instance`.
    private func savedIndex(endingAt offset: Int, instance: InstanceNumber) -> FileLineIndex? {
        let indexPath = FileLineIndexFile.path(forFile: path)
        guard fileSystem.exists(indexPath), let bytes = try? fileSystem.readFile(indexPath),
              let saved = FileLineIndexFile.decode(bytes), saved.stride == index.stride,
              saved.byteCount == offset, saved.lastInstance == instance else { return nil }
        return saved
    }

    /// Whether the file has a whole line for `instance` ending exactly at byte `offset`.
    private func prefixEnds(at offset: Int, withInstance instance: InstanceNumber) throws -> Bool {
        if offset == 0 { return true }
        let lookBack = min(offset, 64 * 1024 + 32)  // a line is at most a value (64 KiB) and a number
        let tail = try fileSystem.read(path, offset: offset - lookBack, count: lookBack)
        guard tail.count == lookBack, tail.last == 0x0A else { return false }
        let body = tail.dropLast()
        let lineStart = (body.lastIndex(of: 0x0A).map { $0 + 1 }) ?? body.startIndex
        guard lineStart > body.startIndex || lookBack == offset else { return false }
        return FileLines.entry(body[lineStart...])?.instance == instance
    }

    /// Scans the file once to build the index, and opens it for appending. A partial last line
    /// (a torn append) is damage: the caller rebuilds first.
    /// With `indexedPrefix`, the lines it covers are taken as indexed and only the bytes after
    /// it are read.
    private func reopen(indexedPrefix: FileLineIndex? = nil) throws {
        closeFile()
        var indexer = indexedPrefix.map { LineIndexer(continuing: $0, path: path) } ?? LineIndexer(stride: index.stride, path: path)
        if fileSystem.exists(path) {
            let size = try fileSystem.fileSize(path)
            var offset = indexedPrefix?.byteCount ?? 0
            while offset < size {
                let chunk = try fileSystem.read(path, offset: offset, count: min(Self.readChunkBytes, size - offset))
                if chunk.isEmpty { break }
                offset += chunk.count
                try indexer.add(chunk)
            }
        }
        index = try indexer.finish()
        file = try fileSystem.openForAppending(path).file
    }

    private func damaged(_ reason: String) -> StorageError {
        ReplicatedFile.damaged(path, reason)
    }

    fileprivate static func damaged(_ path: String, _ reason: String) -> StorageError {
        StorageError(kind: .corruption, path: path, description: "replicated file \(path): \(reason)")
    }

    private static func render(_ entries: [FileEntry], after previous: InstanceNumber?) -> [UInt8] {
        var bytes: [UInt8] = []
        var last = previous
        for entry in entries {
            // The core hands out instances in order and validated values (ValueRules); anything
            // else would make replicas differ or break the one-line-per-instance format.
            precondition(last.map { entry.instance > $0 } ?? true, "file lines must follow instance order: \(entry.instance) after \(last ?? 0)")
            precondition(!entry.value.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0 }), "value of instance \(entry.instance) breaks the line format")
            bytes.append(contentsOf: entry.line.utf8)
            last = entry.instance
        }
        return bytes
    }

    private func openFile() throws -> any AppendableFile {
        if let file { return file }
        let opened = try fileSystem.openForAppending(path).file
        file = opened
        return opened
    }

    private func closeFile() {
        file?.close()
        file = nil
    }
}

/// Reads the lines of a `ReplicatedFile` as they were when it was taken (`ReplicatedFile.reader`),
/// from the disk through the sparse index: a value, safe to use on any thread.
public struct ReplicatedFileReader: Sendable {
    let path: String
    let fileSystem: any FileSystem
    let index: FileLineIndex

    /// Saves the index of the lines this reader covers next to the file, for a restart after a
    /// snapshot point at its last line (`FileLineIndexFile`; call once those lines are synced).
    public func saveIndex() throws {
        try fileSystem.replaceAtomically(FileLineIndexFile.path(forFile: path), with: FileLineIndexFile.encode(index))
    }

    /// Up to `limit` entries from instance `from` on.
    public func entries(from instance: InstanceNumber, limit: Int) throws -> [FileEntry] {
        guard limit > 0, let last = index.lastInstance, instance <= last else { return [] }
        var result: [FileEntry] = []
        try scanLines(near: instance) { entry, _ in
            guard let entry else { throw damaged("a line that is not `<instance> <value>`") }
            if entry.instance >= instance { result.append(entry) }
            return result.count < limit
        }
        return result
    }

    /// The size of the lines through `instance` (which must be a line of the file).
    func byteCount(through instance: InstanceNumber) throws -> Int {
        guard let last = index.lastInstance, instance <= last else {
            throw damaged("no line for instance \(instance) (last \(index.lastInstance.map(String.init) ?? "none"))")
        }
        var end = index.startOffset(forInstance: instance)
        var found = false
        try scanLines(near: instance) { entry, bytes in
            end += bytes
            guard let entry, entry.instance >= instance else { return true }
            guard entry.instance == instance else { throw damaged("no line for instance \(instance)") }
            found = true
            return false
        }
        guard found else { throw damaged("no line for instance \(instance)") }
        return end
    }

    /// Reads the lines from the indexed one at or before `instance` on, in chunks, handing each
    /// (nil if it is not a line of the format) and its size in bytes to `body` until it returns
    /// false or the covered bytes end.
    private func scanLines(near instance: InstanceNumber, _ body: (FileEntry?, Int) throws -> Bool) throws {
        var offset = index.startOffset(forInstance: instance)
        var pending: [UInt8] = []
        while offset < index.byteCount {
            let chunk = try fileSystem.read(path, offset: offset, count: min(ReplicatedFile.readChunkBytes, index.byteCount - offset))
            if chunk.isEmpty { return }
            offset += chunk.count
            pending += chunk
            let (lines, consumed) = FileLines.parse(pending[...])
            pending.removeFirst(consumed)
            for (entry, bytes) in lines {
                if try !body(entry, bytes) { return }
            }
        }
    }

    private func damaged(_ reason: String) -> StorageError {
        ReplicatedFile.damaged(path, reason)
    }

    fileprivate static func damaged(_ path: String, _ reason: String) -> StorageError {
        StorageError(kind: .corruption, path: path, description: "replicated file \(path): \(reason)")
    }
}

extension ReplicatedFile {
    /// A replacement of the file's bytes, not yet made: `count` bytes of `source` from `offset`,
    /// then `suffix`. A value, so the copy can run off the thread that owns the file.
    public struct Replacement: Sendable {
        let path: String
        let fileSystem: any FileSystem
        let indexStride: Int
        let source: String
        let offset: Int
        let count: Int
        let suffix: [UInt8]

        /// Copies in bounded chunks into the file's temporary neighbour, indexing the lines as
        /// they pass (so a source that is not `<instance> <value>` lines is refused here, before
        /// anything is replaced), and syncs it.
        public func prepare() throws -> PreparedReplacement {
            let temporary = path + FilePaths.temporarySuffix
            try fileSystem.remove(temporary)
            let (file, _) = try fileSystem.openForAppending(temporary)
            var indexer = LineIndexer(stride: indexStride, path: path)
            do {
                var copied = 0
                while copied < count {
                    let chunk = try fileSystem.read(source, offset: offset + copied,
                                                    count: min(SnapshotStore.chunkBytesMax, count - copied))
                    guard !chunk.isEmpty else { throw SnapshotFormat.invalid(source, "shorter than \(offset + count) bytes") }
                    try indexer.add(chunk)
                    try file.write(chunk)
                    copied += chunk.count
                }
                try indexer.add(suffix)
                // Everything that can throw comes before the close: a partial last line used to
                // throw after it, and the handler below closed the descriptor a second time.
                let index = try indexer.finish()
                try file.write(suffix)
                try file.sync()
                file.close()
                return PreparedReplacement(path: path, temporaryPath: temporary, index: index)
            } catch {
                file.close()
                try? fileSystem.remove(temporary)
                throw error
            }
        }
    }

    /// A replacement copied and synced, waiting for `commit` (or `discard`).
    public struct PreparedReplacement: Sendable {
        let path: String
        let temporaryPath: String
        let index: FileLineIndex
    }

    /// Builds a file's sparse index from its bytes in order, in chunks cut anywhere.
    struct LineIndexer {
        private var index: FileLineIndex
        private var pending: [UInt8] = []
        private let path: String

        init(stride: Int, path: String) {
            index = FileLineIndex(stride: stride)
            self.path = path
        }

        /// Goes on after the lines `index` covers.
        init(continuing index: FileLineIndex, path: String) {
            self.index = index
            self.path = path
        }

        mutating func add(_ bytes: [UInt8]) throws {
            if pending.isEmpty {
                let consumed = try scan(bytes[...])
                pending = Array(bytes[consumed...])
            } else {
                pending += bytes
                pending.removeFirst(try scan(pending[...]))
            }
        }

        private mutating func scan(_ bytes: ArraySlice<UInt8>) throws -> Int {
            try FileLines.scanInstances(bytes) { instance, byteCount in
                guard let instance else { throw ReplicatedFile.damaged(path, "a line that is not `<instance> <value>`") }
                index.addLine(instance: instance, bytes: byteCount)
            }
        }

        /// The index; a partial last line is damage.
        func finish() throws -> FileLineIndex {
            if !pending.isEmpty { throw ReplicatedFile.damaged(path, "a partial last line") }
            return index
        }
    }
}
