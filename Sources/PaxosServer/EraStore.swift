import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The cluster era: a number every node keeps in `<data>/era`, raised by each reset. Peer
/// messages carry it, so a message sent before a reset can never be accepted after it.
struct EraStore {
    let path: String

    init(directory: String) { path = directory + "/era" }

    func read() throws -> UInt64 {
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        let text = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let era = UInt64(text) else { throw ConfigurationError("\(path) does not hold an era number: '\(text)'") }
        return era
    }

    /// Temp file, fsync, rename, fsync of the directory: the era is durable and never half-written.
    func write(_ era: UInt64) throws {
        let temporary = path + ".tmp"
        let bytes = Array("\(era)\n".utf8)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw ConfigurationError("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == bytes.count, synced == 0 else { throw ConfigurationError("cannot write \(temporary)") }
        guard rename(temporary, path) == 0 else { throw ConfigurationError("cannot rename \(temporary) to \(path)") }
        let directory = (path as NSString).deletingLastPathComponent
        let dfd = open(directory, O_RDONLY)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }
}
