/// The text form of `dateTime.iso8601`. We write the specification's `19980717T14:08:55`
/// (what Python writes too) and read it plus the two other forms seen in the wild:
/// `1998-07-17T14:08:55` and `19980717T140855`. Time zone suffixes are refused rather than
/// silently dropped, since the value type has nowhere to keep them.
enum XMLRPCDateTimeFormat {
    static func bytes(of dateTime: XMLRPCDateTime) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(17)
        append(dateTime, to: &bytes)
        return bytes
    }

    static func append(_ dateTime: XMLRPCDateTime, to bytes: inout [UInt8]) {
        func appendDigits(_ value: Int, width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        appendDigits(dateTime.year, width: 4)
        appendDigits(dateTime.month, width: 2)
        appendDigits(dateTime.day, width: 2)
        bytes.append(UInt8(ascii: "T"))
        appendDigits(dateTime.hour, width: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(dateTime.minute, width: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(dateTime.second, width: 2)
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> XMLRPCDateTime? {
        var lower = 0
        var upper = bytes.count
        while lower < upper && XMLSyntax.isWhitespace(bytes[lower]) { lower += 1 }
        while upper > lower && XMLSyntax.isWhitespace(bytes[upper - 1]) { upper -= 1 }
        let text = UnsafeBufferPointer(rebasing: bytes[lower..<upper])

        // Each layout lists where the numbers start; separators are checked by `literal`.
        let dateSeparator: UInt8?
        let timeSeparator: UInt8?
        switch text.count {
        case 17: (dateSeparator, timeSeparator) = (nil, UInt8(ascii: ":"))  // 19980717T14:08:55
        case 19: (dateSeparator, timeSeparator) = (UInt8(ascii: "-"), UInt8(ascii: ":"))  // 1998-07-17T14:08:55
        case 15: (dateSeparator, timeSeparator) = (nil, nil)  // 19980717T140855
        default: return nil
        }
        var cursor = 0
        func number(_ width: Int) -> Int? {
            var value = 0
            for _ in 0..<width {
                let byte = text[cursor]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                cursor += 1
            }
            return value
        }
        func literal(_ expected: UInt8?) -> Bool {
            guard let expected else { return true }
            defer { cursor += 1 }
            return text[cursor] == expected
        }
        guard let year = number(4), literal(dateSeparator), let month = number(2), literal(dateSeparator),
              let day = number(2), literal(UInt8(ascii: "T")),
              let hour = number(2), literal(timeSeparator), let minute = number(2), literal(timeSeparator),
              let second = number(2)
        else { return nil }
        return XMLRPCDateTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }
}
