import Crypto
import Foundation

/// The users allowed to call a node's client methods when it requires HTTP Basic
/// authentication (`--client-password-file`): one `user:password` per line, `#` starts a
/// comment. A file others may read is refused, as for the cluster secret.
///
/// Without TLS a password crosses the network in clear text: this keeps out callers who do not
/// know it, not an eavesdropper (README, Security).
public struct ClientPasswords: Sendable {
    /// Each password kept as its HMAC under a key made for this process, so that checking one
    /// is swift-crypto's constant-time comparison of two codes, whatever the password's length.
    private let codes: [String: HashedAuthenticationCode<SHA256>]
    private let key = SymmetricKey(size: .bits256)

    public static let usersMax = 1_000
    static let lineBytesMax = 1_024

    init(entries: [(user: String, password: String)]) {
        var codes: [String: HashedAuthenticationCode<SHA256>] = [:]
        for entry in entries { codes[entry.user] = HMAC<SHA256>.authenticationCode(for: Array(entry.password.utf8), using: key) }
        self.codes = codes
    }

    public var users: [String] { codes.keys.sorted() }

    public static func load(path: String) throws -> ClientPasswords {
        ClientPasswords(entries: try entries(path: path))
    }

    /// The file's `user:password` entries, after the same checks a node makes.
    public static func entries(path: String) throws -> [(user: String, password: String)] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ConfigurationError("cannot read the client password file \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw ConfigurationError("the client password file \(path) may be read by others (mode \(String(info.st_mode & 0o777, radix: 8))); run `chmod 600 \(path)`")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigurationError("\(path) is not a UTF-8 text file of `user:password` lines")
        }
        var entries: [(user: String, password: String)] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard trimmed.utf8.count <= lineBytesMax, let colon = trimmed.firstIndex(of: ":"),
                  colon != trimmed.startIndex, trimmed.index(after: colon) != trimmed.endIndex else {
                throw ConfigurationError("\(path) line \(index + 1): expected `user:password` (a user name without ':', a non-empty password)")
            }
            entries.append((String(trimmed[..<colon]), String(trimmed[trimmed.index(after: colon)...])))
        }
        guard !entries.isEmpty else { throw ConfigurationError("\(path) names no user; add a line `user:password`") }
        guard entries.count <= usersMax else { throw ConfigurationError("\(path) names more than \(usersMax) users") }
        return entries
    }

    /// The user an `Authorization: Basic …` header proves, or nil.
    func authenticatedUser(authorization: String) -> String? {
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic", parts[1].utf8.count <= 4 * Self.lineBytesMax,
              let decoded = Data(base64Encoded: String(parts[1])),
              let colon = decoded.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        let user = String(decoding: decoded[..<colon], as: UTF8.self)
        guard let expected = codes[user] else { return nil }
        let password = decoded[decoded.index(after: colon)...]
        return HMAC<SHA256>.isValidAuthenticationCode(expected, authenticating: password, using: key) ? user : nil
    }
}
