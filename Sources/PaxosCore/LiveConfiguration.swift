/// The one place that says how a live node configures its core, so that the node shell and the
/// simulator run the same thing: what the checkers test is what runs (DESIGN.md section 10,
/// "One pipeline"). Only the timings a live operator may tune are parameters; everything else
/// (forwarding to the distinguished proposer, Multi-Paxos, self-delivery through the shell,
/// the limits) is the live default.
extension PaxosConfiguration {
    public static func live(node: NodeID, members: [NodeID],
                            phaseTimeoutMilliseconds: UInt64, heartbeatMilliseconds: UInt64,
                            backoff: Backoff, randomSeed: UInt64) -> PaxosConfiguration {
        var configuration = PaxosConfiguration(node: node, members: members)
        configuration.randomSeed = randomSeed
        configuration.phaseTimeoutMilliseconds = phaseTimeoutMilliseconds
        configuration.heartbeatMilliseconds = heartbeatMilliseconds
        configuration.backoff = backoff
        // Messages to itself leave the core like any other: the node's own promise and
        // acceptance are then made durable in parallel with the peers' instead of before the
        // Prepare or Accept leaves, and the fault filter and the diagrams see them.
        configuration.selfDeliveryThroughShell = true
        configuration.ownVoteOnSequentialValues = true
        return configuration
    }
}
