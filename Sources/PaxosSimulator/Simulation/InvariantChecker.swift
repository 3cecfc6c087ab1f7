import PaxosCore

/// The simulator's ghost: what the cluster as a whole has learned, acknowledged and written,
/// kept outside the nodes so that no crash can erase it. Each observation is checked at once;
/// the first violation sticks.
struct InvariantChecker {
    /// Every value a client submitted or proposed (validity).
    private var offeredValues: Set<ValueText> = []
    /// The first value learned for each instance, by any node (agreement).
    private var learned = InstanceTable<Command>()
    private(set) var decisions = 0
    private(set) var noopsChosen = 0
    /// Commands chosen in more than one instance (a retried submit whose first Accept
    /// survived), found by the final file check; applied once.
    private(set) var commandsChosenTwice = 0
    private(set) var highestLearned: InstanceNumber = 0
    /// What each node learned and let be known (its Ready released): it must survive crashes (stability).
    private var learnedByNode: [InstanceTable<Command>]
    /// The longest replicated file any node has written; every node's file must be a prefix of it.
    private(set) var longestFile: [FileEntry] = []
    /// The values of `longestFile`: a value applied twice is a bug even when every file has it
    /// twice (they would all still be prefixes of one another).
    private var fileValues: Set<ValueText> = []
    /// Acknowledged submits: the value must be chosen at the instance the client was told.
    private var acknowledged: [(instance: InstanceNumber, value: String)] = []
    /// The highest instance any client was told (a linearizable read must reach it).
    private(set) var highestAcknowledged: InstanceNumber = 0

    /// Who accepted what, per instance and ballot: the definition of "chosen" (a majority of
    /// acceptors accepted one ballot), independent of what any proposer believes.
    private var votes = InstanceTable<InstanceVotes>()
    private var chosenByVotes = InstanceTable<Command>()
    private let quorum: Int

    /// The acceptors that accepted one ballot of one instance (a handful of ballots per
    /// instance: a linear search beats hashing them).
    private struct Votes {
        var ballot: Ballot
        var command: Command
        var acceptors: UInt64 = 0
    }

    /// The ballots voted on in one instance: nearly always one, held inline (an array per
    /// instance was an allocation per decision); any others follow in `more`.
    private struct InstanceVotes {
        var first: Votes
        var more: [Votes] = []

        /// Counts `node`'s vote for `command` in `ballot`; returns the ballot's voters and the
        /// command the ballot's first vote carried.
        mutating func add(_ node: Int, ballot: Ballot, command: Command) -> (acceptors: UInt64, carried: Command) {
            if first.ballot == ballot {
                first.acceptors |= 1 << UInt64(node)
                return (first.acceptors, first.command)
            }
            let index = more.firstIndex { $0.ballot == ballot } ?? {
                more.append(Votes(ballot: ballot, command: command))
                return more.count - 1
            }()
            more[index].acceptors |= 1 << UInt64(node)
            return (more[index].acceptors, more[index].command)
        }
    }

    /// A value in the checker's sets: equal when the texts are, hashed by a fold of its UTF-8
    /// bytes through a 64-bit finalizer instead of a `Hasher` (SipHash) per lookup; a run
    /// looks values up at every submit, decision and line written.
    private struct ValueText: Hashable {
        let text: String

        init(_ text: String) { self.text = text }

        static func == (lhs: ValueText, rhs: ValueText) -> Bool { lhs.text == rhs.text }

        func hash(into hasher: inout Hasher) { hasher.combine(text) }

        func _rawHashValue(seed: Int) -> Int {
            // FNV-1a over the bytes, keyed by the table's seed, then mixed so that every bit
            // reaches the low bits a table's buckets use.
            var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(truncatingIfNeeded: seed)
            for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
            hash ^= hash >> 32
            hash &*= 0xD6E8_FEB8_6659_FD93
            hash ^= hash >> 32
            return Int(truncatingIfNeeded: hash)
        }
    }

    private(set) var violation: (property: Property, detail: String)?
    private var contract: AcceptorContract

    init(nodes: Int) {
        contract = AcceptorContract(nodes: nodes)
        learnedByNode = Array(repeating: InstanceTable(), count: nodes)
        quorum = nodes / 2 + 1
        // A default run offers about a hundred values: no rehashing while it grows.
        offeredValues.reserveCapacity(256)
        fileValues.reserveCapacity(256)
    }

    /// Acceptor `node` accepted `command` in `ballot` and is about to say so.
    mutating func nodeAccepted(_ node: Int, instance: InstanceNumber, ballot: Ballot, command: Command) {
        guard isInRange(instance) else { return }
        if let broken = contract.answered(node, instance: instance, ballot: ballot, accepting: true) {
            fail(.acceptorContract, broken)
        }
        // In place: a copy taken out and written back made every vote copy the instance's list.
        let (acceptors, carried) = votes.update(instance, default: InstanceVotes(first: Votes(ballot: ballot, command: command))) {
            $0.add(node, ballot: ballot, command: command)
        }
        if carried != command {
            fail(.agreement, "instance \(instance): ballot \(ballot) carried both \(carried) and \(command)")
        }
        guard acceptors.nonzeroBitCount >= quorum else { return }
        if let earlier = chosenByVotes[instance] {
            if earlier != command {
                fail(.agreement, "instance \(instance): a majority accepted \(command) in ballot \(ballot), but \(earlier) was chosen before")
            }
        } else {
            chosenByVotes[instance] = command
        }
    }

    mutating func offered(_ value: String) { offeredValues.insert(ValueText(value)) }

    /// Acceptor `node` promised `ballot` in `instance` and is about to say so.
    mutating func nodePromised(_ node: Int, instance: InstanceNumber, ballot: Ballot) {
        if let broken = contract.answered(node, instance: instance, ballot: ballot, accepting: false) {
            fail(.acceptorContract, broken)
        }
    }

    /// Acceptor `node` promised `ballot` for every instance from `start` on.
    mutating func nodePromisedRange(_ node: Int, from start: InstanceNumber, ballot: Ballot) {
        contract.promisedRange(node, from: start, ballot: ballot)
    }

    /// Node `node` made `command` durable as chosen for `instance` and is about to act on it.
    mutating func nodeLearned(_ node: Int, instance: InstanceNumber, command: Command) {
        guard isInRange(instance) else { return }
        if let earlier = learnedByNode[node][instance], earlier != command {
            fail(.stability, "S\(node + 1) learned \(command) for instance \(instance) after having learned \(earlier)")
        }
        learnedByNode[node][instance] = command
        checkChosen(instance: instance, command: command, by: node)
    }

    private mutating func checkChosen(instance: InstanceNumber, command: Command, by node: Int) {
        if chosenByVotes[instance] != command {
            fail(.agreement, "instance \(instance): S\(node + 1) learned \(command), which no majority accepted"
                + (chosenByVotes[instance].map { " (the majority accepted \($0))" } ?? ""))
        }
        if let first = learned[instance] {
            if first != command {
                fail(.agreement, "instance \(instance): S\(node + 1) learned \(command), but \(first) was learned before")
            }
            return
        }
        learned[instance] = command
        decisions += 1
        if case .noop = command { noopsChosen += 1 }
        highestLearned = max(highestLearned, instance)
        if let text = command.text, !offeredValues.contains(ValueText(text)) {
            fail(.validity, "instance \(instance): \(text) was chosen but nobody offered it")
        }
    }

    /// A node lost its disk (`Fault.amnesia`): it need not remember any decision.
    mutating func nodeLostDisk(_ node: Int) {
        learnedByNode[node] = InstanceTable<Command>()
    }

    /// A node crashed before the decision it learned for `instance` was synced
    /// (`Ready.persistEventually`): it need not remember it.
    mutating func nodeMayForget(_ node: Int, instance: InstanceNumber) {
        learnedByNode[node][instance] = nil
    }

    /// A node restarted from its log: everything it had learned must still be there, and what it
    /// recovered (including records of a write that never finished) must agree with the cluster.
    mutating func nodeRecovered(_ node: Int, chosen: InstanceMap<Command>, compactedThrough: InstanceNumber = 0) {
        // Walked in place: listing the instances first built an array per restart.
        let broken: String? = learnedByNode[node].firstValue { instance, before in
            // Up to the snapshot point, the decisions live in the file (checked line by line).
            guard instance > compactedThrough else { return nil }
            guard let after = chosen[instance] else {
                return "S\(node + 1) forgot instance \(instance) (\(before)) in a crash"
            }
            if after != before {
                return "S\(node + 1) recovered \(after) for instance \(instance) after having learned \(before)"
            }
            return nil
        }
        if let broken {
            fail(.stability, broken)
            return
        }
        for (instance, command) in chosen.entries {
            guard isInRange(instance) else { return }
            checkChosen(instance: instance, command: command, by: node)
            learnedByNode[node][instance] = command
        }
    }

    /// Node `node` appended `entry` as line number `lineIndex` of its file (or holds it after a rebuild).
    /// The line must agree with every other node's file (prefix), and with what was chosen:
    /// the value learned for its instance, instances increasing, no value twice.
    mutating func nodeWroteLine(_ node: Int, lineIndex: Int, entry: FileEntry) {
        if lineIndex < longestFile.count {
            if longestFile[lineIndex] != entry {
                fail(.filePrefix, "line \(lineIndex + 1) of S\(node + 1)'s file is '\(entry.line.dropLast())', another node's is '\(longestFile[lineIndex].line.dropLast())'")
            }
            return
        }
        guard lineIndex == longestFile.count else {
            fail(.filePrefix, "S\(node + 1) wrote line \(lineIndex + 1) with lines missing before it")
            return
        }
        guard case .value(_, let text)? = learned[entry.instance], text == entry.value else {
            fail(.fileContent, "S\(node + 1) wrote '\(entry.line.dropLast())' but \(learned[entry.instance].map { "\($0)" } ?? "nothing") was chosen for instance \(entry.instance)")
            return
        }
        if let previous = longestFile.last, previous.instance >= entry.instance {
            fail(.fileContent, "S\(node + 1) wrote instance \(entry.instance) after instance \(previous.instance)")
        }
        if !fileValues.insert(ValueText(entry.value)).inserted {
            fail(.fileContent, "S\(node + 1) applied '\(entry.value)' twice (again as instance \(entry.instance))")
        }
        longestFile.append(entry)
    }

    /// At the end of a settled run: the file is exactly the chosen values in instance order,
    /// each command once and no-ops left out; nothing chosen is missing from it.
    mutating func checkFileMatchesChosen() {
        var expected: [FileEntry] = []
        var seen = Set<CommandID>(minimumCapacity: longestFile.count)
        var instance: InstanceNumber = 1
        while instance <= highestLearned {
            guard let command = learned[instance] else {
                fail(.fileContent, "instance \(instance) was never learned, though instance \(highestLearned) was")
                return
            }
            if case .value(let id, let text) = command {
                if seen.insert(id).inserted {
                    expected.append(FileEntry(instance: instance, value: text))
                } else {
                    commandsChosenTwice += 1
                }
            }
            instance += 1
        }
        if expected != longestFile {
            let line = zip(expected, longestFile).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(expected.count, longestFile.count)
            fail(.fileContent, "the files differ from the chosen values at line \(line + 1) (\(longestFile.count) lines, \(expected.count) expected)")
        }
    }

    /// A `propose` was answered: `command` is the value of `instance`, which must be what the
    /// cluster learned there.
    mutating func proposeAnswered(instance: InstanceNumber, command: Command) {
        guard isInRange(instance) else { return }
        if learned[instance] != command {
            fail(.agreement, "a propose was told \(command) is instance \(instance), but the cluster learned \(learned[instance].map(\.description) ?? "nothing") there")
        }
    }

    /// A client was told its value was chosen as `instance`.
    mutating func acknowledged(instance: InstanceNumber, value: String) {
        guard isInRange(instance) else { return }
        acknowledged.append((instance, value))
        highestAcknowledged = max(highestAcknowledged, instance)
        guard case .value(_, let text)? = learned[instance], text == value else {
            fail(.durability, "a client was told '\(value)' is instance \(instance), but the cluster learned \(learned[instance].map(\.description) ?? "nothing") there")
            return
        }
    }

    /// At the end of a settled run: every acknowledged value is a line of every node's file (the
    /// files are equal by then).
    /// The line must be at the instance the client was told: a command chosen twice is applied
    /// at the lower instance only, and an answer naming the other would send a reader to a
    /// line that is not there.
    mutating func checkAcknowledgedValuesAreInFiles() {
        var lines = [InstanceNumber: String](minimumCapacity: longestFile.count)
        for entry in longestFile { lines[entry.instance] = entry.value }
        for (instance, value) in acknowledged where lines[instance] != value {
            fail(.durability, "acknowledged value '\(value)' (instance \(instance)) is not line \(instance) of the files"
                + (lines.values.contains(value) ? " (it is another line)" : ""))
            return
        }
    }

    /// A simulated run proposes in instances 1, 2, 3...: one far beyond is a bug of the core.
    private mutating func isInRange(_ instance: InstanceNumber) -> Bool {
        if InstanceTable<Command>.holds(instance) { return true }
        fail(.validity, "instance \(instance) is outside the instances a run can reach (1...\(InstanceTable<Command>.instanceMax))")
        return false
    }

    mutating func fail(_ property: Property, _ detail: String) {
        if violation == nil { violation = (property, detail) }
    }
}
