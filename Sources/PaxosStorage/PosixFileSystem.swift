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
                chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            }
            if count == 0 { return contents }
            contents.append(contentsOf: chunk[0..<Int(count)])
        }
    }

    public func read(_ path: String, offset: Int, count: Int) throws -> [UInt8] {
        precondition(offset >= 0 && count >= 0, "read of a negative range")
        let descriptor = try Self.retrying("open", path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { _ = Glibc.close(descriptor) }
        var contents = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = try Self.retrying("pread", path) {
                contents.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + filled, count - filled, off_t(offset + filled)) }
            }
            if got == 0 { break }  // end of file
            filled += Int(got)
        }
        contents.removeSubrange(filled...)
        return contents
    }

    public func fileSize(_ path: String) throws -> Int {
        var information = stat()
        if stat(path, &information) != 0 { throw Self.error("stat", path) }
        return Int(information.st_size)
    }

    public func listDirectory(_ path: String) throws -> [String] {
        guard let directory = opendir(path) else { throw Self.error("opendir", path) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public func openForAppending(_ path: String) throws -> (file: any AppendableFile, created: Bool) {
        // No O_APPEND: the handle writes at its own position (pwrite), so that a preallocated
        // file's zeros are overwritten instead of appended after.
        let flags = O_WRONLY | O_CLOEXEC
        let existing = open(path, flags)
        if existing >= 0 { return (try PosixAppendableFile(path: path, descriptor: existing), false) }
        guard errno == ENOENT else { throw Self.error("open", path) }
        let created = try Self.retrying("create", path) { open(path, flags | O_CREAT | O_EXCL, Self.fileMode) }
        return (try PosixAppendableFile(path: path, descriptor: created), true)
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

/// One open descriptor written with pwrite at a position it tracks, starting at the end.
final class PosixAppendableFile: AppendableFile {
    let path: String
    /// -1 once closed: a second `close` must not close the number again, which the kernel may
    /// have handed since to another thread's file or socket (a test run once crashed in NIO's
    /// `getsockname` with EBADF, the mark of such a close somewhere in the process). After
    /// `close`, every operation fails with EBADF.
    private var descriptor: Int32
    private var position: Int

    init(path: String, descriptor: Int32) throws {
        self.path = path
        self.descriptor = descriptor
        let end = lseek(descriptor, 0, SEEK_END)
        if end < 0 {
            let error = PosixFileSystem.error("lseek", path)
            _ = Glibc.close(descriptor)
            throw error
        }
        position = Int(end)
    }

    func write(_ buffer: UnsafeRawBufferPointer) throws {
        guard let base = buffer.baseAddress else { return }  // nothing to write
        var written = 0
        // write(2) may accept fewer bytes than asked (signals, quotas): continue until done.
        while written < buffer.count {
            let count = try PosixFileSystem.retrying("pwrite", path) {
                pwrite(descriptor, base + written, buffer.count - written, off_t(position + written))
            }
            written += Int(count)
        }
        position += written
    }

    func sync() throws {
        // fdatasync: the data and the size, without unrelated metadata such as times.
        try PosixFileSystem.retrying("fdatasync", path) { fdatasync(descriptor) }
    }

    func truncate(to size: Int) throws {
        try PosixFileSystem.retrying("ftruncate", path) { ftruncate(descriptor, off_t(size)) }
        position = size
    }

    func preallocate(bytes: Int) throws {
        // posix_fallocate returns the error number instead of setting errno. Where the file system
        // cannot allocate without writing, glibc writes zeros instead: slower, same result.
        // On ext4 the space comes as "unwritten" extents, so the first write into each block
        // makes the next fdatasync commit the journal too (2.5 device writes per sync against
        // 2.0 for space written with zeros). Writing the zeros here instead (stop 29) cut the
        // live fsync mean by a fifth, but put a 1 MiB write into the sync of a snapshot point's
        // new segment, and p99 at 16 connections came out worse as often as better; zeroing
        // segments ahead of need, off the commit path (as PostgreSQL does), is left for later.
        while true {
            let result = posix_fallocate(descriptor, 0, off_t(bytes))
            if result == 0 { return }
            if result == EINTR { continue }
            throw StorageError.io("posix_fallocate", path: path, errorNumber: result, message: String(cString: strerror(result)))
        }
    }

    func close() {
        guard descriptor >= 0 else { return }
        _ = Glibc.close(descriptor)
        descriptor = -1
    }
}
