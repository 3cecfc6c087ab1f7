import PaxosCore

/// The replicated file: a view of the applied instances, one line `<instance> <value>\n` each
/// (FileEntry.line), nothing else, so replicas compare with `cmp` (DESIGN.md section 4).
///
/// The WAL is the truth and this file only a rendering of it, so appends need no fsync: after a
/// crash, `rebuild(from:)` rewrites the file if it is behind or damaged.
public final class ReplicatedFile {
    public let path: String
    private let fileSystem: any FileSystem
    private var file: (any AppendableFile)?
    /// The instance of the last line, so lines stay in instance order.
    private var lastInstance: InstanceNumber?

    public init(path: String, fileSystem: any FileSystem) throws {
        self.path = path
        self.fileSystem = fileSystem
        try fileSystem.createDirectory(FilePaths.parent(of: path))
    }

    /// At start-up: if the file's bytes differ from the rendering of `entries` (behind, damaged,
    /// missing), rewrites it atomically. Returns whether it rewrote.
    @discardableResult
    public func rebuild(from entries: [FileEntry]) throws -> Bool {
        let expected = Self.render(entries, after: nil)
        closeFile()
        let current = fileSystem.exists(path) ? try fileSystem.readFile(path) : nil
        let rewrite = current != expected
        if rewrite { try fileSystem.replaceAtomically(path, with: expected) }
        lastInstance = entries.last?.instance
        file = try fileSystem.openForAppending(path).file
        return rewrite
    }

    /// Appends lines for newly applied instances, which must follow the last line's instance.
    public func append(_ entries: [FileEntry]) throws {
        if entries.isEmpty { return }
        let bytes = Self.render(entries, after: lastInstance)
        let file = try openFile()
        try file.write(bytes)
        lastInstance = entries.last?.instance
    }

    /// Admin reset: the file becomes empty (atomically, so a crash leaves it old or empty).
    public func reset() throws {
        closeFile()
        try fileSystem.replaceAtomically(path, with: [])
        lastInstance = nil
        file = try fileSystem.openForAppending(path).file
    }

    public func close() { closeFile() }

    /// The exact bytes of the file holding `entries`.
    public static func render(_ entries: [FileEntry]) -> [UInt8] { render(entries, after: nil) }

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
