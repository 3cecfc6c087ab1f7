import PaxosCore
import Testing

// DESIGN.md section 4: a value is UTF-8 text without newline or NUL, at most 64 KiB by default.

@Suite("ValueRules")
struct ValueRulesTests {
    @Test("an ordinary value, with spaces, tabs and non-ASCII text, is accepted")
    func ordinaryValues() {
        #expect(ValueRules.check("hello") == nil)
        #expect(ValueRules.check("a b\tc") == nil)
        #expect(ValueRules.check("Grüße, 世界 🎉") == nil)
    }

    @Test("the empty value is refused")
    func empty() {
        #expect(ValueRules.check("") == .empty)
    }

    @Test("a line feed, a carriage return or CRLF is refused: the file has one line per instance",
          arguments: ["a\nb", "a\rb", "a\r\nb", "\n", "trailing\n"])
    func newline(value: String) {
        #expect(ValueRules.check(value) == .containsNewline)
    }

    @Test("a NUL character is refused", arguments: ["\u{0}", "a\u{0}b"])
    func nul(value: String) {
        #expect(ValueRules.check(value) == .containsNUL)
    }

    @Test("the default limit is 64 KiB: exactly at the limit is accepted, one byte more is refused")
    func defaultLimit() {
        #expect(ValueRules.valueBytesMaxDefault == 65_536)
        #expect(ValueRules.check(String(repeating: "x", count: 65_536)) == nil)
        #expect(ValueRules.check(String(repeating: "x", count: 65_537)) == .tooLong(bytes: 65_537, limit: 65_536))
    }

    @Test("length is counted in UTF-8 bytes, not characters")
    func multiByte() {
        // "é" is 2 bytes, "€" 3, "🎉" 4.
        #expect(ValueRules.check("éé", valueBytesMax: 4) == nil)
        #expect(ValueRules.check("éé", valueBytesMax: 3) == .tooLong(bytes: 4, limit: 3))
        #expect(ValueRules.check("€", valueBytesMax: 2) == .tooLong(bytes: 3, limit: 2))
        #expect(ValueRules.check("🎉", valueBytesMax: 4) == nil)
        #expect(ValueRules.check("🎉", valueBytesMax: 3) == .tooLong(bytes: 4, limit: 3))
        // A combining sequence is one Character but several bytes.
        #expect(ValueRules.check("e\u{301}", valueBytesMax: 2) == .tooLong(bytes: 3, limit: 2))
    }

    @Test("every violation explains itself")
    func descriptions() {
        #expect(ValueRules.Violation.tooLong(bytes: 70_000, limit: 65_536).description.contains("70000"))
        #expect(!ValueRules.Violation.containsNewline.description.isEmpty)
    }

    @Test("a file line is `<instance> <value>` and a newline, nothing else")
    func fileLine() {
        #expect(FileEntry(instance: 12, value: "héllo world").line == "12 héllo world\n")
    }
}
