import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The secret every member of a cluster holds: 256 random bits, kept in a file of mode 0600 as
/// 64 hexadecimal digits. Whoever holds it speaks for the cluster (peer messages, admin calls);
/// nobody else can. It never travels: calls carry a code derived from it, not the secret.
public struct ClusterSecret: Sendable {
    public static let byteCount = 32

    let key: SymmetricKey

    init(bytes: [UInt8]) {
        precondition(bytes.count == Self.byteCount, "a cluster secret has \(Self.byteCount) bytes")
        key = SymmetricKey(data: bytes)
    }

    /// A new random secret (the system's secure generator, through swift-crypto).
    public static func random() -> ClusterSecret {
        ClusterSecret(bytes: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    /// How to make a secret, for every message that finds none.
    public static let howToCreate = "create one with `paxos secret generate FILE` (mode 0600) and name it in cluster.json as \"secretFile\", or pass --secret-file FILE"

    /// Creates `path` with a new secret, readable by its owner only. Refuses to replace an
    /// existing file: a secret overwritten by mistake would cut this node off its cluster. The
    /// file appears whole or not at all (written aside, synced, then linked into place).
    @discardableResult
    public static func generate(atPath path: String) throws -> ClusterSecret {
        let secret = random()
        guard !FileManager.default.fileExists(atPath: path) else {
            throw ConfigurationError("\(path) already exists; a secret is never overwritten (remove the file first to rotate it)")
        }
        let text = Array((secret.hexadecimal + "\n").utf8)
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ConfigurationError("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        defer { unlink(temporary) }
        let written = text.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == text.count, synced else { throw ConfigurationError("cannot write the secret to \(temporary)") }
        // link() fails if `path` appeared meanwhile: no secret is ever replaced.
        guard link(temporary, path) == 0 else {
            throw ConfigurationError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        let directory = (path as NSString).deletingLastPathComponent
        let directoryDescriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 { fsync(directoryDescriptor); close(directoryDescriptor) }
        return secret
    }

    /// The secret an operator's command uses: `explicitPath` if given, else the one that
    /// `<dataDirectory>/cluster.json` names (what `paxos cluster` writes).
    public static func locate(explicitPath: String?, dataDirectory: String) throws -> ClusterSecret {
        if let explicitPath { return try load(path: explicitPath) }
        let configurationPath = URL(fileURLWithPath: dataDirectory).standardizedFileURL.path + "/cluster.json"
        guard FileManager.default.fileExists(atPath: configurationPath) else {
            throw ConfigurationError("admin calls are signed with the cluster secret, and there is no \(configurationPath) to find it by; pass --data-dir (the folder `paxos cluster` was started with) or --secret-file FILE")
        }
        let configuration = try ClusterConfiguration.load(path: configurationPath)
        guard let path = configuration.secretPath(configurationPath: configurationPath) else {
            throw ConfigurationError("\(configurationPath) names no cluster secret; pass --secret-file FILE")
        }
        return try load(path: path)
    }

    /// Reads a secret file, refusing one that others may read or that is not 64 hex digits.
    public static func load(path: String) throws -> ClusterSecret {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ConfigurationError("cannot read the cluster secret \(path): \(String(cString: strerror(errno))); \(howToCreate)")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw ConfigurationError("the cluster secret \(path) may be read by others (mode \(String(info.st_mode & 0o777, radix: 8))); run `chmod 600 \(path)`")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let bytes = Hexadecimal.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)),
              bytes.count == byteCount else {
            throw ConfigurationError("\(path) is not a cluster secret (it must hold \(byteCount * 2) hexadecimal digits); \(howToCreate)")
        }
        return ClusterSecret(bytes: bytes)
    }

    var hexadecimal: String { key.withUnsafeBytes(Hexadecimal.encode) }
}
