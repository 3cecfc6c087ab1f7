/// Character data between two tags, after references, CDATA and line ends are resolved.
///
/// Most text in an XML-RPC document has none of those, so it is left where it lies in the
/// input (`raw`) and becomes a `String` only when the grammar asks for one; a copy is built
/// (`resolved`) only when the bytes differ from the input.
enum XMLText {
    case raw(Range<Int>)
    case resolved([UInt8])
}

/// Bytes of the document being scanned; valid only while the caller's buffer is.
struct XMLInput {
    let base: UnsafePointer<UInt8>
    let count: Int

    init(_ buffer: UnsafeBufferPointer<UInt8>) {
        // An empty buffer may have no base address; any non-null pointer works for zero bytes.
        base = buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!
        count = buffer.count
    }

    @inline(__always) subscript(_ offset: Int) -> UInt8 { base[offset] }

    func withBytes<Result>(of text: XMLText, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        switch text {
        case .raw(let range): body(UnsafeBufferPointer(start: base + range.lowerBound, count: range.count))
        case .resolved(let bytes): bytes.withUnsafeBufferPointer(body)
        }
    }

    func string(of text: XMLText) -> String {
        withBytes(of: text) { String(decoding: $0, as: UTF8.self) }
    }

    func isWhitespace(_ text: XMLText) -> Bool {
        withBytes(of: text) { bytes in bytes.allSatisfy(XMLSyntax.isWhitespace) }
    }

    /// Whether the bytes at `range` (an element name) equal `name`.
    @inline(__always) func name(_ range: Range<Int>, is name: StaticString) -> Bool {
        guard range.count == name.utf8CodeUnitCount else { return false }
        let expected = name.utf8Start
        var offset = 0
        while offset < range.count {
            if base[range.lowerBound + offset] != expected[offset] { return false }
            offset += 1
        }
        return true
    }

    func string(of range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(start: base + range.lowerBound, count: range.count), as: UTF8.self)
    }
}

enum XMLSyntax {
    static let lessThan = UInt8(ascii: "<")
    static let greaterThan = UInt8(ascii: ">")
    static let ampersand = UInt8(ascii: "&")
    static let carriageReturn = UInt8(ascii: "\r")
    static let lineFeed = UInt8(ascii: "\n")
    static let closingBracket = UInt8(ascii: "]")

    @inline(__always) static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D
    }

    /// XML names, simplified: ASCII as the specification says, and any non-ASCII character
    /// (already known to be valid UTF-8) allowed. No XML-RPC element name is non-ASCII, so the
    /// simplification can only turn a not-well-formed error into an unknown-element one.
    @inline(__always) static func isNameStart(_ byte: UInt8) -> Bool {
        (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z"))
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || byte >= 0x80
    }

    @inline(__always) static func isName(_ byte: UInt8) -> Bool {
        isNameStart(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }

    /// The `Char` production of XML 1.0, for scalars written as character references.
    static func isCharacter(_ scalar: UInt32) -> Bool {
        switch scalar {
        case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }

    static func appendUTF8(_ scalar: UInt32, to bytes: inout [UInt8]) {
        switch scalar {
        case ..<0x80:
            bytes.append(UInt8(scalar))
        case ..<0x800:
            bytes.append(UInt8(0xC0 | scalar >> 6))
            bytes.append(UInt8(0x80 | scalar & 0x3F))
        case ..<0x10000:
            bytes.append(UInt8(0xE0 | scalar >> 12))
            bytes.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            bytes.append(UInt8(0x80 | scalar & 0x3F))
        default:
            bytes.append(UInt8(0xF0 | scalar >> 18))
            bytes.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            bytes.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            bytes.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}
