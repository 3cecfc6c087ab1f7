import Testing
@testable import XMLRPC

/// Documents the decoder must refuse, each with the fault code it must give.
@Suite struct CodecMalformedTests {
    static let wellFormed = XMLRPCFault.notWellFormed
    static let invalid = XMLRPCFault.invalidXMLRPC

    static func call(_ valueXML: String) -> String {
        "<methodCall><methodName>m</methodName><params><param><value>\(valueXML)</value></param></params></methodCall>"
    }

    static let cases: [(name: String, document: [UInt8], code: Int)] = [
        ("empty body", [], wellFormed),
        ("only whitespace", Array("  \n".utf8), wellFormed),
        ("only a declaration", Array("<?xml version=\"1.0\"?>".utf8), wellFormed),
        ("truncated in a tag", Array(call("<int>1</int>").utf8.prefix(40)), wellFormed),
        ("truncated after the root start", Array("<methodCall><methodName>x</methodName>".utf8), wellFormed),
        ("truncated inside a value", Array(call("<string>abc").utf8.dropLast(40)), wellFormed),
        ("mismatched end tag", Array(call("<int>1</i4>").utf8), wellFormed),
        ("wrong nesting", Array("<methodCall><methodName>m</params></methodName></methodCall>".utf8), wellFormed),
        ("text before the root", Array("junk<methodCall><methodName>m</methodName></methodCall>".utf8), wellFormed),
        ("text after the root", Array("<methodCall><methodName>m</methodName></methodCall>junk".utf8), wellFormed),
        ("two roots", Array("<methodCall><methodName>m</methodName></methodCall><methodCall/>".utf8), wellFormed),
        ("undefined entity", Array(call("<string>&nbsp;</string>").utf8), wellFormed),
        ("bare ampersand", Array(call("<string>a & b</string>").utf8), wellFormed),
        ("bare less-than in text", Array(call("<string>a < b</string>").utf8), wellFormed),
        ("reference to NUL", Array(call("<string>&#0;</string>").utf8), wellFormed),
        ("reference beyond Unicode", Array(call("<string>&#x110000;</string>").utf8), wellFormed),
        ("reference to a surrogate", Array(call("<string>&#xD800;</string>").utf8), wellFormed),
        ("raw control character", Array(call("<string>a\u{1}b</string>").utf8), wellFormed),
        ("]]> in text", Array(call("<string>a]]>b</string>").utf8), wellFormed),
        ("unterminated CDATA", Array(call("<string><![CDATA[abc</string>").utf8), wellFormed),
        ("unterminated comment", Array(call("<!-- abc").utf8), wellFormed),
        ("double hyphen in comment", Array(call("<!-- a -- b -->1").utf8), wellFormed),
        ("DOCTYPE", Array("<!DOCTYPE x [<!ENTITY a \"b\">]><methodCall><methodName>m</methodName></methodCall>".utf8), wellFormed),
        ("declaration not first", Array(" <?xml version=\"1.0\"?><methodCall><methodName>m</methodName></methodCall>".utf8), wellFormed),
        ("unsupported encoding", Array("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><methodCall><methodName>m</methodName></methodCall>".utf8), wellFormed),
        ("unquoted attribute", Array("<methodCall a=b><methodName>m</methodName></methodCall>".utf8), wellFormed),
        ("non-UTF-8 byte", Array(call("<string>caf").utf8) + [0xE9] + Array("</string></value></param></params></methodCall>".utf8), wellFormed),
        ("overlong UTF-8", Array(call("<string>").utf8) + [0xC0, 0xBC] + Array("</string></value></param></params></methodCall>".utf8), wellFormed),
        ("UTF-8 surrogate", Array(call("<string>").utf8) + [0xED, 0xA0, 0x80] + Array("</string></value></param></params></methodCall>".utf8), wellFormed),
        ("UTF-16 document", [0xFF, 0xFE] + Array("<".utf8) + [0], wellFormed),
        ("unknown root", Array("<methodCalls><methodName>m</methodName></methodCalls>".utf8), invalid),
        ("unknown type tag", Array(call("<integer>1</integer>").utf8), invalid),
        ("text outside elements inside params", Array("<methodCall><methodName>m</methodName><params>junk</params></methodCall>".utf8), invalid),
        ("text beside a typed value", Array(call("x<int>1</int>").utf8), invalid),
        ("two types in one value", Array(call("<int>1</int><int>2</int>").utf8), invalid),
        ("element inside a string", Array(call("<string><b>x</b></string>").utf8), invalid),
        ("missing methodName", Array("<methodCall><params/></methodCall>".utf8), invalid),
        ("empty methodName", Array("<methodCall><methodName></methodName></methodCall>".utf8), invalid),
        ("int not a number", Array(call("<int>12a</int>").utf8), invalid),
        ("int beyond 64 bits", Array(call("<i8>9223372036854775808</i8>").utf8), invalid),
        ("empty int", Array(call("<int></int>").utf8), invalid),
        ("boolean 2", Array(call("<boolean>2</boolean>").utf8), invalid),
        ("boolean true", Array(call("<boolean>true</boolean>").utf8), invalid),
        ("hex double", Array(call("<double>0x1p3</double>").utf8), invalid),
        ("double word", Array(call("<double>one</double>").utf8), invalid),
        ("dateTime with zone", Array(call("<dateTime.iso8601>19980717T14:08:55Z</dateTime.iso8601>").utf8), invalid),
        ("dateTime month 13", Array(call("<dateTime.iso8601>19981317T14:08:55</dateTime.iso8601>").utf8), invalid),
        ("base64 bad character", Array(call("<base64>ab$d</base64>").utf8), invalid),
        ("base64 one char left", Array(call("<base64>abcde</base64>").utf8), invalid),
        ("array without data", Array(call("<array><value>1</value></array>").utf8), invalid),
        ("struct member without name", Array(call("<struct><member><value>1</value></member></struct>").utf8), invalid),
        ("struct member value before name", Array(call("<struct><member><value>1</value><name>a</name></member></struct>").utf8), invalid),
        ("nil with content", Array(call("<nil>x</nil>").utf8), invalid),
        ("param without value", Array("<methodCall><methodName>m</methodName><params><param>1</param></params></methodCall>".utf8), invalid),
        ("response with two params", Array("<methodResponse><params><param><value>1</value></param><param><value>2</value></param></params></methodResponse>".utf8), invalid),
        ("response with no params", Array("<methodResponse><params></params></methodResponse>".utf8), invalid),
        ("fault without code", Array("<methodResponse><fault><value><struct><member><name>faultString</name><value>x</value></member></struct></value></fault></methodResponse>".utf8), invalid),
        // Validity problem first, well-formedness problem later: well-formedness wins.
        ("unknown element then truncated", Array("<methodCall><foo>".utf8), wellFormed),
    ]

    @Test(arguments: cases.indices)
    func refusesMalformedDocument(_ index: Int) {
        let (name, document, code) = Self.cases[index]
        let isResponse = String(decoding: document.prefix(20), as: UTF8.self).hasPrefix("<methodResponse")
        do {
            if isResponse {
                _ = try XMLRPCCodec.decodeResponse(document)
            } else {
                _ = try XMLRPCCodec.decodeCall(document)
            }
            Issue.record("\(name): decoded without error")
        } catch {
            #expect(error.code == code, "\(name): \(error.message)")
        }
    }

    @Test func twentyThousandDeepNestingIsALimitFaultNotACrash() {
        let depth = 20_000
        let document = "<methodCall><methodName>m</methodName><params><param><value>"
            + String(repeating: "<array><data><value>", count: depth) + "1"
            + String(repeating: "</value></data></array>", count: depth)
            + "</value></param></params></methodCall>"
        #expect(throws: XMLRPCFault.self) { try XMLRPCCodec.decodeCall(Array(document.utf8)) }
        do {
            _ = try XMLRPCCodec.decodeCall(Array(document.utf8))
        } catch {
            #expect(error.code == XMLRPCFault.invalidXMLRPC)
            #expect(error.message.contains("elementDepthMax"))
        }
    }

    @Test func nestingJustWithinTheLimitDecodes() throws {
        // 4 envelope levels + 3 per array + the innermost value's type element.
        let arrays = (XMLRPCDecodingLimits.elementDepthMaxDefault - 5) / 3
        let document = "<methodCall><methodName>m</methodName><params><param><value>"
            + String(repeating: "<array><data><value>", count: arrays) + "<int>1</int>"
            + String(repeating: "</value></data></array>", count: arrays)
            + "</value></param></params></methodCall>"
        #expect(try XMLRPCCodec.decodeCall(Array(document.utf8)).parameters.count == 1)
    }

    @Test func elementCountLimit() {
        let limits = XMLRPCDecodingLimits(elementCountMax: 100)
        let document = Self.call("<array><data>" + String(repeating: "<value>1</value>", count: 200) + "</data></array>")
        do {
            _ = try XMLRPCCodec.decodeCall(Array(document.utf8), limits: limits)
            Issue.record("decoded past the element count limit")
        } catch {
            #expect(error.code == XMLRPCFault.invalidXMLRPC && error.message.contains("elementCountMax"))
        }
    }

    @Test func textLengthLimitOnRawAndResolvedText() {
        let limits = XMLRPCDecodingLimits(textBytesMax: 1000)
        for text in [String(repeating: "a", count: 1001), String(repeating: "&amp;", count: 1001),
                     String(repeating: "a", count: 600) + "<![CDATA[" + String(repeating: "b", count: 600) + "]]>"] {
            do {
                _ = try XMLRPCCodec.decodeCall(Array(Self.call("<string>\(text)</string>").utf8), limits: limits)
                Issue.record("decoded past the text limit")
            } catch {
                #expect(error.code == XMLRPCFault.invalidXMLRPC && error.message.contains("textBytesMax"))
            }
        }
        #expect(throws: Never.self) {
            try XMLRPCCodec.decodeCall(Array(Self.call("<string>\(String(repeating: "a", count: 1000))</string>").utf8), limits: limits)
        }
    }
}
