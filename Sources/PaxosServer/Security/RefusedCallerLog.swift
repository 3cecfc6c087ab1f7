import Logging
import Synchronization

/// Logs refused callers once a minute per remote address, not once per call: a flood of forged
/// calls must not become a flood of log lines (nor a disk filled by an outsider). Later
/// refusals from the same address are counted and reported with the next line.
final class RefusedCallerLog: Sendable {
    static let interval: Duration = .seconds(60)
    /// Addresses remembered at once; past that, those quiet for a minute are forgotten, and a
    /// new address finding no room is not logged (the limit on everything).
    static let addressesMax = 4_096

    private struct Entry {
        var lastLogged: ContinuousClock.Instant
        var suppressed: Int
    }

    private let logger: Logger
    private let entries = Mutex<[String: Entry]>([:])

    init(logger: Logger) { self.logger = logger }

    func note(_ address: String?, _ reason: String) {
        let address = address ?? "unknown address"
        let now = ContinuousClock.now
        let suppressed: Int? = entries.withLock { entries in
            if var entry = entries[address] {
                if now - entry.lastLogged < Self.interval {
                    entry.suppressed += 1
                    entries[address] = entry
                    return nil
                }
                entries[address] = Entry(lastLogged: now, suppressed: 0)
                return entry.suppressed
            }
            if entries.count >= Self.addressesMax {
                entries = entries.filter { now - $0.value.lastLogged < Self.interval }
                if entries.count >= Self.addressesMax { return nil }
            }
            entries[address] = Entry(lastLogged: now, suppressed: 0)
            return 0
        }
        guard let suppressed else { return }
        let more = suppressed > 0 ? " (and \(suppressed) more refused from there in the last minute)" : ""
        logger.warning("refused a call from \(address): \(reason)\(more); further refusals from this address are logged at most once a minute")
    }
}
