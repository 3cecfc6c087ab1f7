/// What a replicated value may be (DESIGN.md section 4): UTF-8 text without newline or NUL (the
/// file has one line per instance) and not longer than a limit. Checked before anything is written.
public enum ValueRules {
    public static let valueBytesMaxDefault = 64 * 1024

    public enum Violation: Error, Hashable, Sendable, CustomStringConvertible {
        case empty
        case containsNewline
        case containsNUL
        case tooLong(bytes: Int, limit: Int)

        public var description: String {
            switch self {
            case .empty: return "the value is empty"
            case .containsNewline: return "the value contains a line break (CR or LF); the replicated file has one line per instance"
            case .containsNUL: return "the value contains a NUL character"
            case .tooLong(let bytes, let limit): return "the value is \(bytes) bytes long; the limit is \(limit) bytes"
            }
        }
    }

    public static func check(_ value: String, valueBytesMax: Int = valueBytesMaxDefault) -> Violation? {
        let bytes = value.utf8.count
        if bytes == 0 { return .empty }
        if bytes > valueBytesMax { return .tooLong(bytes: bytes, limit: valueBytesMax) }
        for byte in value.utf8 {
            if byte == 0x0A || byte == 0x0D { return .containsNewline }
            if byte == 0 { return .containsNUL }
        }
        return nil
    }
}
