/// Text forms of the scalar types. Parsing is lenient only where peers differ in practice
/// (surrounding whitespace, a `+` sign, Python's `inf`/`nan` and exponents on doubles) and
/// strict everywhere else.
enum XMLRPCScalarFormat {
    static func parseInteger(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var range = trimmed(bytes)
        guard !range.isEmpty else { return nil }
        var isNegative = false
        if bytes[range.lowerBound] == UInt8(ascii: "-") || bytes[range.lowerBound] == UInt8(ascii: "+") {
            isNegative = bytes[range.lowerBound] == UInt8(ascii: "-")
            range = range.dropFirst()
            guard !range.isEmpty else { return nil }
        }
        // Accumulate toward the sign so that Int.min, which has no positive twin, parses.
        var value = 0
        for offset in range {
            let byte = bytes[offset]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let digit = Int(byte - UInt8(ascii: "0"))
            let (shifted, shiftOverflow) = value.multipliedReportingOverflow(by: 10)
            let (next, addOverflow) = isNegative
                ? shifted.subtractingReportingOverflow(digit)
                : shifted.addingReportingOverflow(digit)
            guard !shiftOverflow, !addOverflow else { return nil }
            value = next
        }
        return value
    }

    static func parseBoolean(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool? {
        let range = trimmed(bytes)
        guard range.count == 1 else { return nil }
        switch bytes[range.lowerBound] {
        case UInt8(ascii: "0"): return false
        case UInt8(ascii: "1"): return true
        default: return nil
        }
    }

    /// Decimal notation with optional exponent, or inf / infinity / nan (what Python emits
    /// for non-finite values). Hexadecimal floats, which `Double.init` would also take, are not.
    static func parseDouble(_ text: String) -> Double? {
        let text = text.trimmingXMLWhitespace()
        var unsigned = Substring(text)
        if let sign = unsigned.first, sign == "+" || sign == "-" { unsigned = unsigned.dropFirst() }
        switch unsigned.lowercased() {
        case "inf", "infinity", "nan":
            return Double(text.lowercased())
        default:
            break
        }
        guard isDecimal(unsigned.utf8) else { return nil }
        return Double(text)
    }

    private static func isDecimal(_ utf8: Substring.UTF8View) -> Bool {
        var integerDigits = 0
        var fractionDigits = 0
        var index = utf8.startIndex
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        while index != utf8.endIndex && isDigit(utf8[index]) { integerDigits += 1; index = utf8.index(after: index) }
        if index != utf8.endIndex && utf8[index] == UInt8(ascii: ".") {
            index = utf8.index(after: index)
            while index != utf8.endIndex && isDigit(utf8[index]) { fractionDigits += 1; index = utf8.index(after: index) }
        }
        guard integerDigits + fractionDigits > 0 else { return false }
        if index != utf8.endIndex && (utf8[index] == UInt8(ascii: "e") || utf8[index] == UInt8(ascii: "E")) {
            index = utf8.index(after: index)
            if index != utf8.endIndex && (utf8[index] == UInt8(ascii: "+") || utf8[index] == UInt8(ascii: "-")) {
                index = utf8.index(after: index)
            }
            var exponentDigits = 0
            while index != utf8.endIndex && isDigit(utf8[index]) { exponentDigits += 1; index = utf8.index(after: index) }
            guard exponentDigits > 0 else { return false }
        }
        return index == utf8.endIndex
    }

    private static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> Range<Int> {
        var lower = 0
        var upper = bytes.count
        while lower < upper && XMLSyntax.isWhitespace(bytes[lower]) { lower += 1 }
        while upper > lower && XMLSyntax.isWhitespace(bytes[upper - 1]) { upper -= 1 }
        return lower..<upper
    }

    /// Decimal digits of `value` appended to `bytes`, without going through `String`.
    static func appendInteger(_ value: Int, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            bytes.append(contentsOf: buffer[(20 - count)...])
        }
    }
}

extension String {
    func trimmingXMLWhitespace() -> String {
        var utf8 = Substring(self).utf8
        while let first = utf8.first, XMLSyntax.isWhitespace(first) { utf8 = utf8.dropFirst() }
        while let last = utf8.last, XMLSyntax.isWhitespace(last) { utf8 = utf8.dropLast() }
        return String(Substring(utf8))
    }
}
