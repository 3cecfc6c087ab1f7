/// The disk as the log sees it, so the same log code runs on a real disk (`PosixFileSystem`)
/// and on the simulator's disk (`InMemoryFileSystem`), whose crashes lose what was not synced.
///
/// The operations are the few whose durability rules matter, with POSIX meaning:
/// data reaches the disk only through `AppendableFile.sync()`, and a created, renamed or removed
/// name only through `syncDirectory` of its parent.
public protocol FileSystem: AnyObject, Sendable {
    func exists(_ path: String) -> Bool
    /// Creates `path` and any missing parents; succeeds if it already exists.
    func createDirectory(_ path: String) throws
    /// The whole content of a file.
    func readFile(_ path: String) throws -> [UInt8]
    /// The bytes of `path` from `offset`, at most `count` of them (fewer at the end of the file):
    /// what lets a reader walk a large file (a snapshot, the replicated file) in bounded chunks.
    func read(_ path: String, offset: Int, count: Int) throws -> [UInt8]
    /// The size of `path` in bytes.
    func fileSize(_ path: String) throws -> Int
    /// The names (not paths) of the files in `directory`, in no particular order.
    func listDirectory(_ path: String) throws -> [String]
    /// Opens `path` for appending, creating it if missing. `created` tells the caller it must
    /// sync the parent directory before relying on the file surviving a crash. Writes start at
    /// the current end of the file.
    func openForAppending(_ path: String) throws -> (file: any AppendableFile, created: Bool)
    /// Atomically replaces `destination` by `source` (POSIX rename).
    func rename(_ source: String, to destination: String) throws
    /// Removes a file; succeeds if it does not exist.
    func remove(_ path: String) throws
    /// Makes the names in `directory` (created, renamed, removed files) durable.
    func syncDirectory(_ path: String) throws
}

/// An open file written front to back (or cut back by recovery).
///
/// The handle keeps its own write position instead of relying on O_APPEND: a preallocated file
/// is already long (zeros), and the writer must overwrite those zeros rather than append after
/// them. The position starts at the end of the file when it is opened.
public protocol AppendableFile: AnyObject {
    var path: String { get }
    /// Writes `bytes` at the write position, which moves past them: visible to readers, not yet
    /// durable. (Raw bytes, so that the log can write from a buffer it reuses; `write(_: [UInt8])`
    /// wraps this.)
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Makes every byte written so far durable (fdatasync). Safe to call while another thread
    /// writes: the sync covers at least what was written before it started.
    func sync() throws
    /// Cuts the file to `size` bytes (recovery drops a torn tail) and moves the write position
    /// there; durable after `sync()`.
    func truncate(to size: Int) throws
    /// Makes the file at least `bytes` long, the new bytes zero and their blocks allocated, without
    /// moving the write position; durable after `sync()`. Why: an fdatasync that must also record a
    /// new file size and new blocks costs more than one that only writes data (DESIGN.md section 9).
    func preallocate(bytes: Int) throws
    func close()
}

extension AppendableFile {
    /// Writes `bytes` at the end of the file: visible to readers, not yet durable.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }
}

extension FileSystem {
    /// Replaces the content of `path` so that a crash leaves either the old or the new content,
    /// never a mix: write a temporary file, sync it, rename it over `path`, sync the directory.
    public func replaceAtomically(_ path: String, with contents: [UInt8]) throws {
        let temporary = path + FilePaths.temporarySuffix
        try remove(temporary)
        let (file, _) = try openForAppending(temporary)
        do {
            try file.write(contents)
            try file.sync()
            file.close()
        } catch {
            file.close()
            throw error
        }
        try rename(temporary, to: path)
        try syncDirectory(FilePaths.parent(of: path))
    }
}

/// Path arithmetic shared by both file systems (plain strings: Foundation's URL is not needed).
public enum FilePaths {
    /// Appended to a file's name while its replacement is being written.
    public static let temporarySuffix = ".tmp"

    /// The directory holding `path` ("/a/b" -> "/a", "b" -> ".", "/b" -> "/").
    public static func parent(of path: String) -> String {
        // Byte by byte for an ASCII path (every path the node and the simulator make): the
        // character walk below counted the whole path on every step, and the simulator's
        // in-memory disk asks this of every name at every directory sync.
        if let parent = asciiParent(of: path) { return parent }
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        if slash == trimmed.startIndex { return "/" }
        return String(trimmed[..<slash])
    }

    /// `parent(of:)` for an ASCII path (nil for any other), where bytes are characters.
    private static func asciiParent(of path: String) -> String? {
        let slash = UInt8(ascii: "/")
        return path.utf8.withContiguousStorageIfAvailable { bytes -> String? in
            var end = bytes.count
            for byte in bytes where byte >= 0x80 { return nil }
            while end > 1, bytes[end - 1] == slash { end -= 1 }
            var index = end - 1
            while index >= 0, bytes[index] != slash { index -= 1 }
            if index < 0 { return "." }
            if index == 0 { return "/" }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[..<index]), as: UTF8.self)
        } ?? nil
    }

    /// Whether `path` is directly inside `directory` (`parent(of: path) == directory`), for the
    /// usual paths (no trailing slash; ASCII), without building the parent.
    public static func isEntry(_ path: String, of directory: String) -> Bool {
        let slash = UInt8(ascii: "/")
        let fast: Bool?? = path.utf8.withContiguousStorageIfAvailable { bytes -> Bool? in
            directory.utf8.withContiguousStorageIfAvailable { directoryBytes -> Bool? in
                guard let last = bytes.last, last != slash, !bytes.contains(where: { $0 >= 0x80 }),
                      directoryBytes.count > 0, directoryBytes.count == 1 || directoryBytes.last != slash,
                      !(directoryBytes.count == 1 && directoryBytes[0] == UInt8(ascii: ".")) else { return nil }
                // "/x" is in "/"; "/d/x" is in "/d".
                let prefixCount = directoryBytes.count == 1 && directoryBytes[0] == slash ? 1 : directoryBytes.count + 1
                guard bytes.count > prefixCount, bytes[prefixCount - 1] == slash,
                      bytes[..<directoryBytes.count].elementsEqual(directoryBytes) else { return false }
                // Deeper (or a doubled slash): `parent(of:)` judges.
                return bytes[prefixCount...].contains(slash) ? nil : true
            } ?? nil
        }
        if let fast, let answer = fast { return answer }
        return parent(of: path) == directory
    }

    public static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
