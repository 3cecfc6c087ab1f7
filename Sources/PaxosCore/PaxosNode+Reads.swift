/// Linearizable reads (`ReadQuorums`): a majority's answers, then this node's applied prefix.
extension PaxosNode {
    mutating func onReadIndexReply(from sender: NodeID, read: RequestID, highest: InstanceNumber) {
        guard let index = configuration.members.firstIndex(of: sender),
              let through = reads.onReply(read, from: index, highest: highest, quorum: configuration.quorum) else { return }
        if through > appliedThrough {
            // Behind: ask the peers now rather than at the next heartbeat.
            broadcastToPeers(.catchUpRequest(from: appliedThrough + 1))
        } else {
            answerSatisfiedReads()
        }
    }

    mutating func answerSatisfiedReads() {
        for request in reads.takeSatisfied(appliedThrough: appliedThrough) {
            ready.replies.append(.readable(request, through: appliedThrough))
        }
    }
}
