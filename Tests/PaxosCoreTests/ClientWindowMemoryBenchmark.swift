import Foundation
import PaxosCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The memory a full window of client-named requests costs: run once for each kind, each in a
/// fresh process (freed memory stays in the process, so one run cannot measure both):
/// `PAXOS_CLIENT_WINDOW_BENCH=named swift test -c release --filter ClientWindowMemory`, then
/// `=unnamed`; the difference per request is the window's own cost. A one-member cluster
/// decides each submit inside its own step, so the figure is the core's own memory (log,
/// file entries, applied ids, window table), read as resident set growth.
@Suite("Client window memory", .enabled(if: ProcessInfo.processInfo.environment["PAXOS_CLIENT_WINDOW_BENCH"] != nil))
struct ClientWindowMemoryBenchmark {
    static let requests = 100_000

    func residentBytes() -> Int {
        let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
        let pages = Int(statm.split(separator: " ").dropFirst().first ?? "") ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    @Test("bytes per request with a full window")
    func measure() {
        let named = ProcessInfo.processInfo.environment["PAXOS_CLIENT_WINDOW_BENCH"] == "named"
        var configuration = PaxosConfiguration(node: NodeID(1), members: [NodeID(1)])
        configuration.clientRequestWindowInstances = UInt64(Self.requests)
        let before = residentBytes()
        var node = PaxosNode(configuration: configuration)
        node.recycle(node.onStart())
        for index in 0..<Self.requests {
            let name = named ? CommandID.clientNamed(UInt64(index) &* 0x9E37_79B9_7F4A_7C15, UInt64(index)) : nil
            node.recycle(node.onSubmit(request: RequestID(index), value: "value-\(index)", clientCommand: name))
        }
        let grown = residentBytes() - before
        #expect(node.appliedThrough == InstanceNumber(Self.requests), "every submit was applied")
        print("\(Self.requests) \(named ? "named" : "unnamed") requests applied: resident set grew \(grown / 1_048_576) MiB, \(grown / Self.requests) bytes per request")
    }
}
