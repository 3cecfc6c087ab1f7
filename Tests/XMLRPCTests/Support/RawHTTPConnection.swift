import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection speaking HTTP by hand, to send what no well-behaved client would
/// (truncated bodies, oversized bodies, pipelined requests) and to see exactly what comes back.
/// Socket calls block, so each runs on its own thread, never on the test's cooperative pool
/// (which the server's handlers need).
final class RawHTTPConnection: @unchecked Sendable {
    struct Response {
        var status: Int
        var headers: [String: String]  // names lowercased
        var body: [UInt8]
        var bodyText: String { String(decoding: body, as: UTF8.self) }
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    private let descriptor: Int32
    private var pending: [UInt8] = []

    /// `receiveTimeoutSeconds` only bounds a hang: in the first seconds of a full `swift test`
    /// every test starts at once on two cores, and a 200 ms answer took over 10 s (CI of stop
    /// 28) and 13.8 s (a fresh-clone run of stop 29).
    init(port: Int, receiveTimeoutSeconds: Int = 60) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket failed") }
        var timeout = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        // No close here: every stored property is set, so a throwing init still runs `deinit`,
        // which closes the socket. A close here too was a double close: the second one could
        // close a number the kernel had meanwhile given to another test's NIO socket, which then
        // crashed in writev with EBADF (a full `swift test`, stop 37).
        guard result == 0 else { throw Failure(description: "connect failed: errno \(errno)") }
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    static func post(path: String = "/RPC2", body: [UInt8], extraHeaders: String = "") -> [UInt8] {
        Array("POST \(path) HTTP/1.1\r\nHost: test\r\nContent-Type: text/xml\r\nContent-Length: \(body.count)\r\n\(extraHeaders)\r\n".utf8) + body
    }

    /// Sends everything, or stops quietly when the peer has closed (a 413 closes mid-body).
    func send(_ bytes: [UInt8]) async {
        await onThread { [self] in
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes {
                    Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// The next complete response, or nil when the connection ends first.
    func readResponse() async throws -> Response? {
        try await onThread { [self] in try readResponseBlocking() }
    }

    /// Whether bytes from the peer are waiting to be read (or it closed), without waiting.
    func hasDataWaiting() -> Bool {
        guard pending.isEmpty else { return true }
        var byte: UInt8 = 0
        let count = recv(descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return count >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)
    }

    /// Whether the peer closes the connection (end of stream or reset) before the receive timeout.
    func waitForClose() async -> Bool {
        await onThread { [self] in
            var byte: UInt8 = 0
            while true {
                let count = recv(descriptor, &byte, 1, 0)
                if count == 0 { return true }
                if count < 0 && errno != EINTR { return errno == ECONNRESET }
            }
        }
    }

    private func readResponseBlocking() throws -> Response? {
        var headerEnd: Int? = nil
        while headerEnd == nil {
            headerEnd = Self.find([13, 10, 13, 10], in: pending).map { $0 + 4 }
            if headerEnd == nil {
                guard try receiveMore() else { return nil }
            }
        }
        let headerText = String(decoding: pending[..<headerEnd!], as: UTF8.self)
        var lines = headerText.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw Failure(description: "bad status line") }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        guard let length = headers["content-length"].flatMap({ Int($0) }) else {
            throw Failure(description: "response without Content-Length")
        }
        while pending.count < headerEnd! + length {
            guard try receiveMore() else { throw Failure(description: "connection closed inside a body") }
        }
        let body = Array(pending[headerEnd!..<(headerEnd! + length)])
        pending.removeFirst(headerEnd! + length)
        return Response(status: status, headers: headers, body: body)
    }

    private func receiveMore() throws -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var count: Int
        repeat {  // a signal (a debugger attaching, say) interrupts the wait without ending it
            count = recv(descriptor, &buffer, buffer.count, 0)
        } while count < 0 && errno == EINTR
        if count == 0 { return false }
        if count < 0 {
            if errno == ECONNRESET { return false }
            throw Failure(description: "recv failed: errno \(errno)")
        }
        pending += buffer[..<count]
        return true
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}

/// Runs blocking work on a thread of its own.
func onThread<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Swift.Result { try body() }) }
    }
}

func onThread<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: body()) }
    }
}
