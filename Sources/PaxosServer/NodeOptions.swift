import PaxosCore

/// How a node process behaves, beyond where it is (that is `ClusterConfiguration`).
public struct NodeOptions: Sendable {
    /// A client request that is not answered within this time gets a fault (noQuorum or outcomeUnknown).
    public var requestDeadlineMilliseconds: UInt64 = 5_000
    public var valueBytesMax = ValueRules.valueBytesMaxDefault
    public var phaseTimeoutMilliseconds: UInt64 = 300
    public var heartbeatMilliseconds: UInt64 = 200
    public var backoff: PaxosConfiguration.Backoff = .randomizedExponential(baseMilliseconds: 2, maxMilliseconds: 200)
    /// Admin methods (reset, fault injection); `nil` takes the cluster configuration's setting.
    public var adminEnabled: Bool? = nil
    /// The largest XML-RPC request body the node reads. A 64 KiB value escaped at worst (five
    /// bytes per byte) fits; peer batches and catch-up replies are sized to fit too.
    public var requestBodyBytesMax = 1 << 20
    /// The cluster secret's file; nil takes the one the cluster configuration names.
    public var secretFile: String? = nil
    /// Where the users allowed to call the client methods are (HTTP Basic authentication);
    /// nil lets anyone call them.
    public var clientPasswordFile: String? = nil
    /// `paxos node --rejoin`: the data directory was lost; rebuild the node (`Rejoin`). Refused
    /// on a directory whose log holds anything.
    public var rejoin = false
    /// How long a node starting on an empty data directory waits for its peers' status before
    /// it takes the cluster for a brand-new one (see `ClusterDataProbe`).
    public var emptyDirectoryProbeSeconds: Double = 3
    /// The snapshot point moves (the log is compacted, and memory with it) after this many
    /// applied instances (0: never). Each move syncs the file and writes a checkpoint of the
    /// state above the point: small, so frequent moves are cheap; memory and the log hold at
    /// most about this many instances beyond the applied-command window.
    public var snapshotIntervalInstances: UInt64 = 4_096

    public init() {}
}
