import Glibc

/// The real disk, through the POSIX calls whose durability guarantees are documented:
/// write(2), fdatasync(2), fsync(2) on directories, rename(2).
public final class PosixFileSystem: FileSystem {
    /// Permissions of created files and directories (before the umask).
    public static let fileMode: mode_t = 0o644
    public static let directoryMode: mode_t = 0o755
    /// Reads are done in chunks of this size, so a huge file never needs one huge syscall.
    static let readChunkBytes = 1 << 20

    public init() {}

    public func exists(_ path: String) -> Bool {
        var information = stat()
        return stat(path, &information) == 0
    }

    public func createDirectory(_ path: String) throws {
        if exists(path) { return }
        let parent = FilePaths.parent(of: path)
        if parent != path, !exists(parent) { try createDirectory(parent) }
        if mkdir(path, Self.directoryMode) != 0, errno != EEXIST {
            throw Self.error("mkdir", path)
        }
    }

    public func readFile(_ path: String) throws -> [UInt8] {
        let descriptor = try Self.retrying("open", path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { _ = Glibc.close(descriptor) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: Self.readChunkBytes)
        while true {
            let count = try Self.retrying("read", path) {
                chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            }
            if count == 0 { return contents }
            contents.append(contentsOf: chunk[0..<Int(count)])
        }
    }

    public func openForAppending(_ path: String) throws -> (file: any AppendableFile, created: Bool) {
        let flags = O_WRONLY | O_APPEND | O_CLOEXEC
        let existing = open(path, flags)
        if existing >= 0 { return (PosixAppendableFile(path: path, descriptor: existing), false) }
        guard errno == ENOENT else { throw Self.error("open", path) }
        let created = try Self.retrying("create", path) { open(path, flags | O_CREAT | O_EXCL, Self.fileMode) }
        return (PosixAppendableFile(path: path, descriptor: created), true)
    }

    public func rename(_ source: String, to destination: String) throws {
        if Glibc.rename(source, destination) != 0 { throw Self.error("rename to \(destination)", source) }
    }

    public func remove(_ path: String) throws {
        if unlink(path) != 0, errno != ENOENT { throw Self.error("unlink", path) }
    }

    public func syncDirectory(_ path: String) throws {
        let descriptor = try Self.retrying("open directory", path) { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { _ = Glibc.close(descriptor) }
        try Self.retrying("fsync directory", path) { fsync(descriptor) }
    }

    /// Calls `operation` again while it fails with EINTR; throws on any other failure.
    @discardableResult
    static func retrying<Result: BinaryInteger>(_ name: String, _ path: String, _ operation: () -> Result) throws -> Result {
        while true {
            let result = operation()
            if result >= 0 { return result }
            if errno != EINTR { throw error(name, path) }
        }
    }

    static func error(_ operation: String, _ path: String) -> StorageError {
        let number = errno
        return .io(operation, path: path, errorNumber: number, message: String(cString: strerror(number)))
    }
}

/// One open descriptor in append mode: every write lands at the current end of the file.
final class PosixAppendableFile: AppendableFile {
    let path: String
    private let descriptor: Int32

    init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    func write(_ buffer: UnsafeRawBufferPointer) throws {
        guard let base = buffer.baseAddress else { return }  // nothing to write
        var written = 0
        // write(2) may accept fewer bytes than asked (signals, quotas): continue until done.
        while written < buffer.count {
            let count = try PosixFileSystem.retrying("write", path) {
                Glibc.write(descriptor, base + written, buffer.count - written)
            }
            written += Int(count)
        }
    }

    func sync() throws {
        // fdatasync: the data and the size, without unrelated metadata such as times.
        try PosixFileSystem.retrying("fdatasync", path) { fdatasync(descriptor) }
    }

    func truncate(to size: Int) throws {
        try PosixFileSystem.retrying("ftruncate", path) { ftruncate(descriptor, off_t(size)) }
    }

    func close() {
        _ = Glibc.close(descriptor)
    }
}
