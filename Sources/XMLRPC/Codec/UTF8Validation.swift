/// Checks a whole document once, before scanning, that it is UTF-8 made only of characters
/// XML 1.0 allows (`Char` production: no C0 controls but tab, LF and CR; no U+FFFE, U+FFFF;
/// no surrogates). After this pass the scanner may slice text anywhere between ASCII bytes
/// and build strings without further checks.
enum UTF8Validation {
    /// Returns the offset of the first offending byte, or nil when the document is clean.
    static func firstInvalidOffset(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let count = bytes.count
        guard let base = bytes.baseAddress else { return nil }
        var offset = 0
        while offset < count {
            // Fast path: eight printable ASCII bytes at a time (no high bit, none below 0x20).
            if offset + 8 <= count {
                let word = UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self)
                let highBits: UInt64 = 0x8080_8080_8080_8080
                let belowSpace = (word &- 0x2020_2020_2020_2020) & ~word & highBits
                if (word & highBits) | belowSpace == 0 {
                    offset += 8
                    continue
                }
            }
            let lead = base[offset]
            if lead < 0x80 {
                if lead < 0x20 && lead != 0x09 && lead != 0x0A && lead != 0x0D { return offset }
                offset += 1
                continue
            }
            guard let length = sequenceLength(base, offset, count) else { return offset }
            offset += length
        }
        return nil
    }

    /// Length of the well-formed, XML-allowed multi-byte sequence at `offset`, or nil.
    private static func sequenceLength(_ base: UnsafePointer<UInt8>, _ offset: Int, _ count: Int) -> Int? {
        @inline(__always) func continuation(_ index: Int) -> UInt8? {
            guard index < count, base[index] & 0xC0 == 0x80 else { return nil }
            return base[index]
        }
        let lead = base[offset]
        switch lead {
        case 0xC2...0xDF:
            return continuation(offset + 1) == nil ? nil : 2
        case 0xE0...0xEF:
            guard let second = continuation(offset + 1), let third = continuation(offset + 2) else { return nil }
            if lead == 0xE0 && second < 0xA0 { return nil }  // overlong
            if lead == 0xED && second >= 0xA0 { return nil }  // UTF-16 surrogate
            if lead == 0xEF && second == 0xBF && third >= 0xBE { return nil }  // U+FFFE, U+FFFF
            return 3
        case 0xF0...0xF4:
            guard let second = continuation(offset + 1), continuation(offset + 2) != nil,
                  continuation(offset + 3) != nil else { return nil }
            if lead == 0xF0 && second < 0x90 { return nil }  // overlong
            if lead == 0xF4 && second >= 0x90 { return nil }  // beyond U+10FFFF
            return 4
        default:
            return nil  // stray continuation byte, overlong C0/C1, or F5...FF
        }
    }
}
