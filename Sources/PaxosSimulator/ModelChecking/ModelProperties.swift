import PaxosCore

/// Agreement and validity, stated over a model state. Returns the first violation found.
enum ModelProperties {
    static func violation(in state: ModelState, quorum: Int, offered: Set<String>) -> (Property, String)? {
        // Chosen: a majority of acceptors accepted one ballot.
        var chosen: [InstanceNumber: Command] = [:]
        for vote in state.votes where vote.acceptors.nonzeroBitCount >= quorum {
            if let earlier = chosen[vote.instance], earlier != vote.command {
                return (.agreement, "instance \(vote.instance): both \(earlier) and \(vote.command) were chosen (ballot \(vote.ballot) has a majority)")
            }
            chosen[vote.instance] = vote.command
        }
        for vote in state.votes {
            if let text = vote.command.text, !offered.contains(text) {
                return (.validity, "instance \(vote.instance): \(text) was accepted but nobody proposed it")
            }
        }
        for (index, node) in state.nodes.enumerated() {
            for entry in node.value.chosenInstances {
                guard let truly = chosen[entry.instance] else {
                    return (.agreement, "S\(index + 1) learned \(entry.command) for instance \(entry.instance), which no majority accepted")
                }
                if truly != entry.command {
                    return (.agreement, "S\(index + 1) learned \(entry.command) for instance \(entry.instance), but \(truly) was chosen")
                }
            }
        }
        return nil
    }
}
