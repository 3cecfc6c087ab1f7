import Testing
@testable import XMLRPC

/// Each type against a fixed document, in both directions: what we write byte for byte, and
/// what we read from that text and from the other spellings peers use.
@Suite struct CodecGoldenTests {
    static func encodedValue(_ value: XMLRPCValue) -> String {
        var encoder = XMLRPCEncoder()
        encoder.appendValue(value)
        return String(decoding: encoder.bytes, as: UTF8.self)
    }

    static func decodedValue(_ valueXML: String) throws -> XMLRPCValue {
        let document = "<methodCall><methodName>m</methodName><params><param><value>\(valueXML)</value></param></params></methodCall>"
        let call = try XMLRPCCodec.decodeCall(Array(document.utf8))
        try #require(call.parameters.count == 1)
        return call.parameters[0]
    }

    static let goldens: [(value: XMLRPCValue, xml: String)] = [
        (.int(42), "<int>42</int>"),
        (.int(-2_147_483_648), "<int>-2147483648</int>"),
        (.int(2_147_483_647), "<int>2147483647</int>"),
        (.int(2_147_483_648), "<i8>2147483648</i8>"),
        (.int(Int.min), "<i8>-9223372036854775808</i8>"),
        (.int(Int.max), "<i8>9223372036854775807</i8>"),
        (.bool(true), "<boolean>1</boolean>"),
        (.bool(false), "<boolean>0</boolean>"),
        (.string("hello"), "<string>hello</string>"),
        (.string(""), "<string></string>"),
        (.string("a<b & c>d ]]> 'q' \"q\""), "<string>a&lt;b &amp; c&gt;d ]]&gt; 'q' \"q\"</string>"),
        (.string("line1\r\nline2\ttab"), "<string>line1&#13;\nline2\ttab</string>"),
        (.string("é ✓ 😀"), "<string>é ✓ 😀</string>"),
        (.double(1.5), "<double>1.5</double>"),
        (.double(-0.0), "<double>-0.0</double>"),
        (.double(1e-5), "<double>1e-05</double>"),
        (.double(.infinity), "<double>inf</double>"),
        (.dateTime(XMLRPCDateTime(year: 1998, month: 7, day: 17, hour: 14, minute: 8, second: 55)!),
         "<dateTime.iso8601>19980717T14:08:55</dateTime.iso8601>"),
        (.base64(Array("you can't read this!".utf8)), "<base64>eW91IGNhbid0IHJlYWQgdGhpcyE=</base64>"),
        (.base64([]), "<base64></base64>"),
        (.base64([0xFF, 0xFE]), "<base64>//4=</base64>"),
        (.array([]), "<array><data></data></array>"),
        (.array([1, "two", .nil]),
         "<array><data><value><int>1</int></value><value><string>two</string></value><value><nil/></value></data></array>"),
        (.struct([:]), "<struct></struct>"),
        (["lowerBound": 18, "upperBound": 139],
         "<struct><member><name>lowerBound</name><value><int>18</int></value></member><member><name>upperBound</name><value><int>139</int></value></member></struct>"),
        (.nil, "<nil/>"),
    ]

    @Test(arguments: goldens.indices)
    func encodesGoldenDocument(_ index: Int) {
        let (value, xml) = Self.goldens[index]
        #expect(Self.encodedValue(value) == xml)
    }

    @Test(arguments: goldens.indices)
    func decodesGoldenDocument(_ index: Int) throws {
        let (value, xml) = Self.goldens[index]
        #expect(try Self.decodedValue(xml) == value)
    }

    @Test func doubleWithExponentDecodesLikePython() throws {
        #expect(try Self.decodedValue("<double>1.0E+3</double>") == .double(1000))
        #expect(try Self.decodedValue("<double> -2.5 </double>") == .double(-2.5))
        #expect(try Self.decodedValue("<double>-inf</double>") == .double(-.infinity))
        #expect(try Self.decodedValue("<double>nan</double>").doubleValue?.isNaN == true)
    }

    static let otherSpellings: [(xml: String, value: XMLRPCValue)] = [
        ("<i4>7</i4>", 7),
        ("<i8>-7</i8>", -7),
        ("<int> +7 </int>", 7),
        ("untyped text", "untyped text"),
        ("  spaced  ", "  spaced  "),
        ("", ""),
        ("<string/>", ""),
        ("<ex:nil/>", .nil),
        ("<nil></nil>", .nil),
        ("\n  <int>5</int>\n", 5),
        ("<string>&#60;&#x3C;&lt;&gt;&amp;&quot;&apos;&#x1F600;</string>", "<<<>&\"'😀"),
        ("<string><![CDATA[<raw> & ]]]]><![CDATA[>]]></string>", "<raw> & ]]>"),
        ("<string>a<!-- note -->b<?pi data?>c</string>", "abc"),
        ("<string>cr\rlf\r\nend</string>", "cr\nlf\nend"),
        ("<dateTime.iso8601>1998-07-17T14:08:55</dateTime.iso8601>",
         .dateTime(XMLRPCDateTime(year: 1998, month: 7, day: 17, hour: 14, minute: 8, second: 55)!)),
        ("<dateTime.iso8601>19980717T140855</dateTime.iso8601>",
         .dateTime(XMLRPCDateTime(year: 1998, month: 7, day: 17, hour: 14, minute: 8, second: 55)!)),
        ("<base64>\neW91IGNhbid0IHJl\nYWQgdGhpcyE=\n</base64>", .base64(Array("you can't read this!".utf8))),
        ("<base64>//4</base64>", .base64([0xFF, 0xFE])),
        ("<array>\n <data>\n  <value>1</value>\n </data>\n</array>", ["1"]),
        ("<struct><member><name>k</name><value>1</value></member><member><name>k</name><value>2</value></member></struct>",
         ["k": "2"]),
        ("<struct>\n<member>\n<name>a&amp;b</name>\n<value><i4>1</i4></value>\n</member>\n</struct>", ["a&b": 1]),
    ]

    @Test(arguments: otherSpellings.indices)
    func decodesOtherSpelling(_ index: Int) throws {
        let (xml, value) = Self.otherSpellings[index]
        #expect(try Self.decodedValue(xml) == value)
    }

    @Test func methodCallDocument() throws {
        let call = XMLRPCMethodCall(methodName: "examples.getStateName", parameters: [41])
        let expected = "<?xml version=\"1.0\"?>\n<methodCall><methodName>examples.getStateName</methodName>"
            + "<params><param><value><int>41</int></value></param></params></methodCall>\n"
        #expect(String(decoding: XMLRPCCodec.encodeCall(call), as: UTF8.self) == expected)
        #expect(try XMLRPCCodec.decodeCall(Array(expected.utf8)) == call)
    }

    @Test func methodCallWithoutParams() throws {
        let document = "<?xml version='1.0' encoding='UTF-8' standalone='yes'?><methodCall><methodName>ping</methodName></methodCall>"
        #expect(try XMLRPCCodec.decodeCall(Array(document.utf8)) == XMLRPCMethodCall(methodName: "ping"))
    }

    @Test func successResponseDocument() throws {
        let expected = "<?xml version=\"1.0\"?>\n<methodResponse><params><param><value><string>South Dakota</string>"
            + "</value></param></params></methodResponse>\n"
        #expect(String(decoding: XMLRPCCodec.encodeResponse(.success("South Dakota")), as: UTF8.self) == expected)
        #expect(try XMLRPCCodec.decodeResponse(Array(expected.utf8)) == .success("South Dakota"))
    }

    @Test func faultResponseDocument() throws {
        let fault = XMLRPCFault(code: 4, message: "Too many parameters.")
        let expected = "<?xml version=\"1.0\"?>\n<methodResponse><fault><value><struct>"
            + "<member><name>faultCode</name><value><int>4</int></value></member>"
            + "<member><name>faultString</name><value><string>Too many parameters.</string></value></member>"
            + "</struct></value></fault></methodResponse>\n"
        #expect(String(decoding: XMLRPCCodec.encodeResponse(.fault(fault)), as: UTF8.self) == expected)
        #expect(try XMLRPCCodec.decodeResponse(Array(expected.utf8)) == .fault(fault))
    }

    @Test func pythonStyleResponseWithWhitespaceDecodes() throws {
        // What Python's xmlrpc.client.dumps(..., methodresponse=True) writes.
        let document = """
            <?xml version='1.0'?>
            <methodResponse>
            <params>
            <param>
            <value><struct>
            <member>
            <name>ok</name>
            <value><boolean>1</boolean></value>
            </member>
            </struct></value>
            </param>
            </params>
            </methodResponse>

            """
        #expect(try XMLRPCCodec.decodeResponse(Array(document.utf8)) == .success(["ok": true]))
    }

    @Test func controlCharactersXMLCannotCarryBecomeReplacementCharacter() throws {
        let encoded = Self.encodedValue(.string("a\u{0}b\u{1B}c\u{FFFE}d\u{FFFF}"))
        #expect(encoded == "<string>a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}</string>")
        #expect(try Self.decodedValue(String(encoded)) == .string("a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}"))
    }
}
