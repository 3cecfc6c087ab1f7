import Crypto
import PaxosCore
import XMLRPC

/// A client's name for one submit (`paxos.submit(value, requestId)`), a UUID in practice, and
/// the command identity every node derives from it: the first 124 bits of its SHA-256 (through
/// swift-crypto), so that a retry at any node is recognised as the same command without the
/// text of the id travelling in every Accept and log record. Two different ids collide with a
/// probability of about n^2 / 2^125 for n ids: about 10^-14 after a trillion requests.
enum ClientRequestID {
    static let bytesMax = 64

    /// The id's command identity, or a -32602 fault saying what is wrong with it.
    static func commandID(for requestID: String) throws(XMLRPCFault) -> CommandID {
        let bytes = Array(requestID.utf8)
        guard (1...bytesMax).contains(bytes.count), bytes.allSatisfy({ (0x20...0x7E).contains($0) }) else {
            throw XMLRPCFault(code: XMLRPCFault.invalidParameters,
                              message: "parameter 2 (requestId) must be 1-\(bytesMax) printable ASCII characters, got \(bytes.count) bytes")
        }
        let digest = Array(SHA256.hash(data: bytes))
        func word(_ offset: Int) -> UInt64 { digest[offset..<offset + 8].reduce(0) { $0 << 8 | UInt64($1) } }
        return CommandID.clientNamed(word(0), word(8))
    }
}
