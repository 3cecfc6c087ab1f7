#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Which TCP ports on 127.0.0.1 are free or in use: for choosing the ports of local clusters
/// (tests, benchmarks) and telling whether a cluster already runs somewhere.
public enum PortProbe {
    /// Whether a socket can bind `port` now.
    public static func isFree(_ port: Int) -> Bool {
        withSocket(port) { fd, address, length in bind(fd, address, length) == 0 }
    }

    /// Whether anything accepts a TCP connection on `port`.
    public static func somethingListens(on port: Int) -> Bool {
        withSocket(port) { fd, address, length in connect(fd, address, length) == 0 }
    }

    /// The first of `count` consecutive free ports, picked at random below the ephemeral range
    /// (32768 and up on Linux), where port-0 servers and outgoing connections of other
    /// processes could take a port between this check and the bind.
    ///
    /// A port is handed out once per process: two callers at the same moment (tests running in
    /// parallel, each starting a cluster) both found a range free before either bound it, and
    /// once the ranges overlapped (31889-31891 and 31890-31892) two nodes failed to listen.
    public static func freeRange(count: Int) -> Int? {
        precondition(count > 0 && count < 1_000, "a range of 1 to 999 ports")
        for _ in 0..<200 {
            let base = Int.random(in: 20_000...(32_000 - count))
            let range = base..<(base + count)
            let reserved = handedOut.withLock { handedOut in
                guard range.allSatisfy({ !handedOut.contains($0) }) else { return false }
                handedOut.formUnion(range)
                return true
            }
            guard reserved else { continue }
            if range.allSatisfy(isFree) { return base }
        }
        return nil
    }

    /// Ports `freeRange` returned in this process (and ranges it tried and found taken).
    private static let handedOut = Mutex<Set<Int>>([])

    private static func withSocket(_ port: Int, _ body: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Bool) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}
