import Foundation
import Testing

/// `scripts/mutate.sh` applies each bug of `scripts/mutations.tsv` by replacing an exact text
/// that must occur once in its file. Code moves (a file split, a type renamed) silently stale
/// rows, and the battery then reports them refused instead of judging them; this keeps every row
/// applicable without running the (slow) battery itself.
@Suite struct MutationBatteryTableTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func everyMutationsTextOccursExactlyOnceInItsFile() throws {
        let table = try String(contentsOf: Self.repository.appendingPathComponent("scripts/mutations.tsv"), encoding: .utf8)
        var rows = 0
        for line in table.split(separator: "\n") where !line.hasPrefix("#") && !line.allSatisfy(\.isWhitespace) {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            try #require(fields.count >= 5, "a row needs name, rule, file, text and replacement: \(line)")
            let (name, file, text) = (fields[0], fields[2], fields[3].replacingOccurrences(of: "\\n", with: "\n"))
            let source = (try? String(contentsOf: Self.repository.appendingPathComponent(file), encoding: .utf8)) ?? ""
            let count = source.components(separatedBy: text).count - 1
            #expect(count == 1, "mutation \(name): its text occurs \(count) times in \(file)")
            rows += 1
        }
        #expect(rows >= 20)
    }
}
