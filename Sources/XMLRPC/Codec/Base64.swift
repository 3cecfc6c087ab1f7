/// Standard base64 (RFC 4648 alphabet). Encoding writes one line with padding; decoding skips
/// XML whitespace (Python wraps lines at 76 columns), accepts missing padding and ignores
/// bits left over in the last character (as Python does); any other byte is refused.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// 0...63 for alphabet bytes, 0xFF otherwise.
    private static let sextetByByte: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (sextet, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(sextet) }
        return table
    }()

    static func append(_ bytes: [UInt8], to output: inout [UInt8]) {
        output.reserveCapacity(output.count + (bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            output.append(alphabet[Int(group >> 18 & 63)])
            output.append(alphabet[Int(group >> 12 & 63)])
            output.append(alphabet[Int(group >> 6 & 63)])
            output.append(alphabet[Int(group & 63)])
            index += 3
        }
        let remaining = bytes.count - index
        if remaining > 0 {
            let group = UInt32(bytes[index]) << 16 | (remaining == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
            output.append(alphabet[Int(group >> 18 & 63)])
            output.append(alphabet[Int(group >> 12 & 63)])
            output.append(remaining == 2 ? alphabet[Int(group >> 6 & 63)] : UInt8(ascii: "="))
            output.append(UInt8(ascii: "="))
        }
    }

    static func decode(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(text.count / 4 * 3)
        var group: UInt32 = 0
        var sextetCount = 0
        var paddingCount = 0
        for byte in text {
            if XMLSyntax.isWhitespace(byte) { continue }
            if byte == UInt8(ascii: "=") {
                paddingCount += 1
                continue
            }
            let sextet = sextetByByte[Int(byte)]
            guard sextet != 0xFF, paddingCount == 0 else { return nil }  // nothing after padding
            group = group << 6 | UInt32(sextet)
            sextetCount += 1
            if sextetCount == 4 {
                output.append(UInt8(group >> 16 & 0xFF))
                output.append(UInt8(group >> 8 & 0xFF))
                output.append(UInt8(group & 0xFF))
                group = 0
                sextetCount = 0
            }
        }
        switch sextetCount {
        case 0:
            guard paddingCount == 0 else { return nil }
        case 2:
            guard paddingCount == 0 || paddingCount == 2 else { return nil }
            output.append(UInt8(group >> 4 & 0xFF))
        case 3:
            guard paddingCount == 0 || paddingCount == 1 else { return nil }
            output.append(UInt8(group >> 10 & 0xFF))
            output.append(UInt8(group >> 2 & 0xFF))
        default:
            return nil
        }
        return output
    }
}
