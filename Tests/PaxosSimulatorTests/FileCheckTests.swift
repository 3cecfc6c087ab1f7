import PaxosCore
@testable import PaxosSimulator
import Testing

/// The file check is more than "every file is a prefix of another": a value applied twice, a
/// line that differs from the value chosen for its instance, or a file that misses a chosen
/// value fails it, even when every node's file is the same.
@Suite struct FileCheckTests {
    private func command(_ sequence: UInt64, _ text: String) -> Command {
        .value(CommandID(node: NodeID(1), incarnation: 1, sequence: sequence), text)
    }

    /// A checker that saw `commands` chosen in instances 1, 2, ... by a majority of three.
    private func checker(choosing commands: [Command]) -> InvariantChecker {
        var checker = InvariantChecker(nodes: 3)
        for (offset, command) in commands.enumerated() {
            let instance = InstanceNumber(offset + 1)
            if let text = command.text { checker.offered(text) }
            for node in 0..<2 { checker.nodeAccepted(node, instance: instance, ballot: Ballot(round: 1, node: NodeID(1)), command: command) }
            checker.nodeLearned(0, instance: instance, command: command)
        }
        return checker
    }

    @Test func theChosenValuesInOrderPass() {
        var checker = checker(choosing: [command(1, "a"), .noop, command(2, "b")])
        checker.nodeWroteLine(0, lineIndex: 0, entry: FileEntry(instance: 1, value: "a"))
        checker.nodeWroteLine(0, lineIndex: 1, entry: FileEntry(instance: 3, value: "b"))
        checker.nodeWroteLine(1, lineIndex: 0, entry: FileEntry(instance: 1, value: "a"))
        checker.checkFileMatchesChosen()
        #expect(checker.violation == nil)
    }

    @Test func aValueAppliedTwiceFails() {
        // The same command chosen in two instances (a retried submit): applied once is right,
        // twice is the bug, even if every node has it twice.
        let twice = command(1, "a")
        var checker = checker(choosing: [twice, twice])
        checker.nodeWroteLine(0, lineIndex: 0, entry: FileEntry(instance: 1, value: "a"))
        checker.nodeWroteLine(0, lineIndex: 1, entry: FileEntry(instance: 2, value: "a"))
        #expect(checker.violation?.property == .fileContent)
    }

    @Test func aLineThatIsNotTheChosenValueFails() {
        var checker = checker(choosing: [command(1, "a")])
        checker.offered("z")
        checker.nodeWroteLine(0, lineIndex: 0, entry: FileEntry(instance: 1, value: "z"))
        #expect(checker.violation?.property == .fileContent)
    }

    @Test func aFileMissingAChosenValueFails() {
        var checker = checker(choosing: [command(1, "a"), command(2, "b")])
        checker.nodeWroteLine(0, lineIndex: 0, entry: FileEntry(instance: 1, value: "a"))
        checker.checkFileMatchesChosen()
        #expect(checker.violation?.property == .fileContent)
    }
}
