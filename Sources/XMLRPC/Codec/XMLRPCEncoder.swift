/// Writes XML-RPC documents straight into bytes.
///
/// Text escaping: `<` and `&` must be escaped; `>` is escaped too so that `]]>` never appears.
/// CR is written as `&#13;` because a raw CR would be read back as LF (XML line-end
/// normalization). The other C0 controls (all but tab, LF, CR) and U+FFFE / U+FFFF cannot be
/// carried by XML 1.0 at all, not even as references, and a receiving parser (ours, Python's
/// expat) would reject the whole document; we write U+FFFD in their place so the message
/// still arrives. Callers that need arbitrary bytes send `base64`.
struct XMLRPCEncoder {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 512) { bytes.reserveCapacity(capacity) }

    mutating func append(_ literal: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    mutating func appendCall(_ call: XMLRPCMethodCall) {
        append("<?xml version=\"1.0\"?>\n<methodCall><methodName>")
        appendEscaped(call.methodName)
        append("</methodName><params>")
        for parameter in call.parameters {
            append("<param><value>")
            appendValue(parameter)
            append("</value></param>")
        }
        append("</params></methodCall>\n")
    }

    mutating func appendResponse(_ response: XMLRPCMethodResponse) {
        append("<?xml version=\"1.0\"?>\n<methodResponse>")
        switch response {
        case .success(let value):
            append("<params><param><value>")
            appendValue(value)
            append("</value></param></params>")
        case .fault(let fault):
            append("<fault><value><struct><member><name>faultCode</name><value><int>")
            XMLRPCScalarFormat.appendInteger(fault.code, to: &bytes)
            append("</int></value></member><member><name>faultString</name><value><string>")
            appendEscaped(fault.message)
            append("</string></value></member></struct></value></fault>")
        }
        append("</methodResponse>\n")
    }

    /// The content of a `<value>` element.
    mutating func appendValue(_ value: XMLRPCValue) {
        switch value {
        case .int(let integer):
            let fitsInt32 = Int(Int32.min)...Int(Int32.max) ~= integer
            append(fitsInt32 ? "<int>" : "<i8>")
            XMLRPCScalarFormat.appendInteger(integer, to: &bytes)
            append(fitsInt32 ? "</int>" : "</i8>")
        case .bool(let flag):
            append(flag ? "<boolean>1</boolean>" : "<boolean>0</boolean>")
        case .string(let string):
            append("<string>")
            appendEscaped(string)
            append("</string>")
        case .double(let double):
            // Swift's description is the shortest text that reads back to the same Double, the
            // same rule as Python's repr (including its exponent and inf/nan spellings).
            append("<double>")
            bytes.append(contentsOf: double.description.utf8)
            append("</double>")
        case .dateTime(let dateTime):
            append("<dateTime.iso8601>")
            XMLRPCDateTimeFormat.append(dateTime, to: &bytes)
            append("</dateTime.iso8601>")
        case .base64(let data):
            append("<base64>")
            Base64.append(data, to: &bytes)
            append("</base64>")
        case .array(let elements):
            append("<array><data>")
            for element in elements {
                append("<value>")
                appendValue(element)
                append("</value>")
            }
            append("</data></array>")
        case .struct(let members):
            append("<struct>")
            for (name, memberValue) in members {
                append("<member><name>")
                appendEscaped(name)
                append("</name><value>")
                appendValue(memberValue)
                append("</value></member>")
            }
            append("</struct>")
        case .nil:
            append("<nil/>")
        }
    }

    mutating func appendEscaped(_ string: String) {
        var string = string
        string.withUTF8 { utf8 in
            var segmentStart = 0
            var index = 0
            while index < utf8.count {
                let byte = utf8[index]
                // Everything above '>' except the lead byte of U+FFFE / U+FFFF is plain.
                if byte > UInt8(ascii: ">") && byte != 0xEF {
                    index += 1
                    continue
                }
                let replacement: StaticString?
                var length = 1
                switch byte {
                case UInt8(ascii: "<"): replacement = "&lt;"
                case UInt8(ascii: ">"): replacement = "&gt;"
                case UInt8(ascii: "&"): replacement = "&amp;"
                case UInt8(ascii: "\r"): replacement = "&#13;"
                case 0x09, 0x0A: replacement = nil
                case ..<0x20: replacement = "\u{FFFD}"
                case 0xEF where index + 2 < utf8.count && utf8[index + 1] == 0xBF && utf8[index + 2] >= 0xBE:
                    replacement = "\u{FFFD}"
                    length = 3
                default: replacement = nil
                }
                if let replacement {
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[segmentStart..<index]))
                    append(replacement)
                    index += length
                    segmentStart = index
                } else {
                    index += 1
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[segmentStart..<index]))
        }
    }
}
